"""The 22 illustrative recommendations with their status, progress, next steps and lead (made up)."""

from datetime import date

from shared.sample_content.lists import _ACCOUNTABLE, _ASSURED, _EVIDENCE, DPH

RECOMMENDATIONS = [
    {
        "ref": "L1",
        "recommendation": (
            "Ensure carbon monoxide (CO) monitoring is offered to all pregnant women at "
            "booking and at 36 weeks, with an opt-out referral to specialist stop smoking "
            "support for every woman with a raised reading."
        ),
        "framework_priority": "Smoking in Pregnancy",
        "lead_organisation": "East Lancashire Hospitals NHS Trust (ELHT)",
        "lead_officer": "Head of Midwifery (A. Patel)",
        "status": "On track",
        "summary": (
            "Stop smoking in pregnancy pathway with CO monitoring at booking is in place; "
            "Q2 audit shows 94% of bookings CO tested and 88% of eligible women referred "
            "on an opt-out basis. Testing at 36 weeks is at 71% and improving."
        ),
        "next_steps": (
            "Re-audit CO testing at 36 weeks after community midwife refresher sessions "
            "and report results to the Pennine Lancashire Infant Mortality Group."
        ),
        "next_step_due": date(2027, 1, 29),
        "last_updated": date(2026, 11, 4),
        "updated_by": "Anita Patel",
    },
    {
        "ref": "L2",
        "recommendation": (
            "Commission a specialist stop smoking in pregnancy service that includes "
            "support for partners and other household smokers and tests a financial "
            "incentive scheme for quitters."
        ),
        "framework_priority": "Smoking in Pregnancy",
        "lead_organisation": "BwD Council Public Health",
        "lead_officer": "Public Health Specialist, Tobacco Control (M. Khan)",
        "status": "At risk",
        "summary": (
            "Specialist service is commissioned and partner support is live, but the "
            "voucher incentive pilot is delayed pending a decision on recurrent funding. "
            "Smoking at time of delivery remains above the England average."
        ),
        "next_steps": (
            "Present an options paper on incentive scheme funding to the Public Health "
            "leadership team and agree a start date for the pilot."
        ),
        "next_step_due": date(2027, 1, 15),
        "last_updated": date(2026, 10, 21),
        "updated_by": "Maryam Khan",
    },
    {
        "ref": "L3",
        "recommendation": (
            "Deliver a documented safer sleep assessment at every health visitor contact, "
            "from the antenatal contact to the 12 month review, using a single "
            "Pennine Lancashire assessment tool."
        ),
        "framework_priority": "Safer Sleeping",
        "lead_organisation": "Lancashire Care NHS Foundation Trust (LCFT)",
        "lead_officer": "Health Visiting Service Manager (C. Duckworth)",
        "status": "Complete",
        "summary": (
            "Safer sleep assessments at every health visitor contact are now embedded in "
            "the electronic record as a mandatory template. Audit of 200 records found "
            "the assessment completed at 97% of contacts."
        ),
        "next_steps": (
            "Sustain through the annual record keeping audit and report compliance to the "
            "Children's Partnership Board."
        ),
        "next_step_due": date(2027, 6, 30),
        "last_updated": date(2026, 10, 2),
        "updated_by": "Claire Duckworth",
    },
    {
        "ref": "L4",
        "recommendation": (
            "Agree consistent safer sleep and co-sleeping messages across all partners, "
            "in line with Lullaby Trust guidance, including the increased risk when "
            "parents smoke, drink alcohol or use drugs."
        ),
        "framework_priority": "Safer Sleeping",
        "lead_organisation": "BwD Council Public Health",
        "lead_officer": "Public Health Programme Manager, Starting Well (J. Whitworth)",
        "status": "Complete",
        "summary": (
            "Pennine Lancashire safer sleep guidance based on Lullaby Trust messages was "
            "signed off by all partners and published in the LSCB procedures. Leaflets are "
            "available in English, Urdu, Gujarati and Polish."
        ),
        "next_steps": "",
        "next_step_due": None,
        "last_updated": date(2026, 9, 29),
        "updated_by": "Sana Iqbal",
    },
    {
        "ref": "L5",
        "recommendation": (
            "Extend safer sleep risk assessment to children's social care, early help and "
            "family support staff, with particular attention to families in temporary "
            "accommodation or with no fixed sleeping space for the baby."
        ),
        "framework_priority": "Safer Sleeping",
        "lead_organisation": "BwD Council Children's Services",
        "lead_officer": "Early Help Service Manager (L. Taylor)",
        "status": "At risk",
        "summary": (
            "Assessment tool adapted for social care use, but only 41% of early help and "
            "social work staff have completed training because of vacancies and "
            "competing caseload pressures."
        ),
        "next_steps": (
            "Make safer sleep training mandatory for all new starters and run two "
            "additional sessions for existing staff, prioritising the duty and assessment "
            "teams."
        ),
        "next_step_due": date(2027, 2, 26),
        "last_updated": date(2026, 10, 14),
        "updated_by": "Lisa Taylor",
    },
    {
        "ref": "L6",
        "recommendation": (
            "Achieve and maintain UNICEF UK Baby Friendly Initiative accreditation across "
            "maternity, health visiting and children's centre services."
        ),
        "framework_priority": "Infant Feeding",
        "lead_organisation": "East Lancashire Hospitals NHS Trust (ELHT)",
        "lead_officer": "Infant Feeding Lead Midwife (R. Hughes)",
        "status": "On track",
        "summary": (
            "Maternity and health visiting hold full accreditation. Children's centres "
            "passed Stage 2 assessment in September and are preparing for Stage 3."
        ),
        "next_steps": (
            "Complete staff interviews and mother feedback audits ahead of the Stage 3 "
            "assessment for children's centres."
        ),
        "next_step_due": date(2027, 5, 28),
        "last_updated": date(2026, 11, 10),
        "updated_by": "Rachel Hughes",
    },
    {
        "ref": "L7",
        "recommendation": (
            "Provide breastfeeding peer support across the borough, targeted at wards with "
            "the lowest rates of breastfeeding initiation and continuation at 6-8 weeks."
        ),
        "framework_priority": "Infant Feeding",
        "lead_organisation": "BwD Council Public Health",
        "lead_officer": "Public Health Programme Manager, Starting Well (J. Whitworth)",
        "status": "Off track",
        "summary": (
            "The voluntary sector provider gave notice in the summer and peer support in "
            "the target wards has lapsed. Breastfeeding continuation at 6-8 weeks has "
            "fallen by four percentage points since last year."
        ),
        "next_steps": (
            "Agree interim cover with the health visiting infant feeding team and go out "
            "to tender for a replacement peer support service."
        ),
        "next_step_due": date(2027, 3, 31),
        "last_updated": date(2026, 11, 12),
        "updated_by": "Joanne Whitworth",
    },
    {
        "ref": "L8",
        "recommendation": (
            "Develop a maternal healthy weight pathway so that women with a BMI of 30 or "
            "above at booking are offered referral to specialist weight management support "
            "during and after pregnancy."
        ),
        "framework_priority": "Maternal Healthy Weight",
        "lead_organisation": "Blackburn with Darwen CCG",
        "lead_officer": "Commissioning Manager, Children and Maternity (H. Fielding)",
        "status": "Not started",
        "summary": (
            "Not yet started; awaiting the outcome of the adult weight management service "
            "review before a pregnancy pathway is scoped."
        ),
        "next_steps": (
            "Scope the pathway with ELHT dietetics and the adult weight management "
            "provider once the service review reports."
        ),
        "next_step_due": date(2027, 4, 30),
        "last_updated": date(2026, 7, 14),
        "updated_by": "Hannah Fielding",
    },
    {
        "ref": "L9",
        "recommendation": (
            "Include healthy weight, diet and physical activity advice in antenatal "
            "education and at postnatal contacts, with inter-pregnancy weight advice for "
            "women with a raised BMI."
        ),
        "framework_priority": "Maternal Healthy Weight",
        "lead_organisation": "East Lancashire CCG",
        "lead_officer": "Head of Commissioning, Maternity and Children (G. Shaw)",
        "status": "On track",
        "summary": (
            "Healthy weight content has been added to the antenatal education programme "
            "and the postnatal contact checklist. Inter-pregnancy advice is being piloted "
            "at two GP practices."
        ),
        "next_steps": (
            "Evaluate the GP practice pilot and decide whether to roll out across Pennine "
            "Lancashire."
        ),
        "next_step_due": date(2027, 3, 31),
        "last_updated": date(2026, 10, 28),
        "updated_by": "Gareth Shaw",
    },
    {
        "ref": "L10",
        "recommendation": (
            "Ensure a consanguinity and genetic counselling offer is available to couples "
            "before and during pregnancy, with clear referral routes from primary care and "
            "maternity to clinical genetics."
        ),
        "framework_priority": "Family Genetics",
        "lead_organisation": "Blackburn with Darwen CCG",
        "lead_officer": "Commissioning Manager, Children and Maternity (H. Fielding)",
        "status": "At risk",
        "summary": (
            "Referral criteria are agreed with the regional genetics service, but waiting "
            "times for genetic counselling have risen to around 20 weeks, which is too long "
            "for couples referred in pregnancy."
        ),
        "next_steps": (
            "Raise capacity with the regional genetics service commissioners and agree a "
            "fast-track route for referrals made during pregnancy."
        ),
        "next_step_due": date(2027, 2, 12),
        "last_updated": date(2026, 10, 7),
        "updated_by": "Hannah Fielding",
    },
    {
        "ref": "L11",
        "recommendation": (
            "Work with communities, faith leaders and community organisations to raise "
            "awareness of the increased risk of recessive genetic conditions in "
            "consanguineous relationships, in a culturally sensitive way."
        ),
        "framework_priority": "Family Genetics",
        "lead_organisation": "BwD Council Public Health",
        "lead_officer": "Public Health Specialist, Family Genetics (F. Hussain)",
        "status": "On track",
        "summary": (
            "Community genetic literacy sessions have been delivered with six mosques and "
            "two women's groups. Feedback is positive and demand for further sessions is "
            "growing."
        ),
        "next_steps": (
            "Train a further cohort of community champions and add sessions for young "
            "people through local colleges."
        ),
        "next_step_due": date(2027, 6, 30),
        "last_updated": date(2026, 11, 2),
        "updated_by": "Farah Hussain",
    },
    {
        "ref": "L12",
        "recommendation": (
            "Ensure women with moderate to severe perinatal mental illness have timely "
            "access to a specialist community perinatal mental health service that meets "
            "national quality standards."
        ),
        "framework_priority": "Maternal Mental Health",
        "lead_organisation": "Lancashire Care NHS Foundation Trust (LCFT)",
        "lead_officer": "Perinatal Mental Health Team Manager (N. Ahmed)",
        "status": "On track",
        "summary": (
            "The perinatal mental health service is fully staffed and seeing 90% of urgent "
            "referrals within five working days. Access for women from South Asian "
            "communities remains lower than expected."
        ),
        "next_steps": (
            "Work with community organisations on outreach to South Asian women and "
            "monitor referrals by ethnicity each quarter."
        ),
        "next_step_due": date(2027, 3, 31),
        "last_updated": date(2026, 10, 30),
        "updated_by": "Nadia Ahmed",
    },
    {
        "ref": "L13",
        "recommendation": (
            "Ask about emotional wellbeing at every antenatal and postnatal contact using "
            "the Whooley questions, and include fathers and partners where possible."
        ),
        "framework_priority": "Maternal Mental Health",
        "lead_organisation": "Lancashire Care NHS Foundation Trust (LCFT)",
        "lead_officer": "Health Visiting Service Manager (C. Duckworth)",
        "status": "Complete",
        "summary": (
            "Routine enquiry about emotional wellbeing is in place across midwifery and "
            "health visiting, with a shared referral pathway. Partner wellbeing questions "
            "were added to the new birth visit in June."
        ),
        "next_steps": (
            "Monitor through the quarterly health visiting performance report."
        ),
        "next_step_due": None,
        "last_updated": date(2026, 10, 9),
        "updated_by": "Claire Duckworth",
    },
    {
        "ref": "L14",
        "recommendation": (
            "Complete a holistic social needs assessment at booking covering housing, "
            "finances, domestic abuse, language and immigration status, with clear "
            "onward referral routes."
        ),
        "framework_priority": "Social Needs Assessment",
        "lead_organisation": "East Lancashire Hospitals NHS Trust (ELHT)",
        "lead_officer": "Consultant Midwife, Public Health (S. Begum)",
        "status": "At risk",
        "summary": (
            "The assessment is built into the maternity record, but completion is at 68% "
            "against a 90% target. Onward referral routes to housing and welfare advice "
            "are not consistently used."
        ),
        "next_steps": (
            "Add the social needs assessment to the maternity dashboard and agree a direct "
            "referral route to the council's welfare rights team."
        ),
        "next_step_due": date(2026, 12, 18),
        "last_updated": date(2026, 10, 16),
        "updated_by": "Samina Begum",
    },
    {
        "ref": "L15",
        "recommendation": (
            "Improve early booking and access to interpreting for women new to the area or "
            "the country, including asylum seekers and women with no recourse to public "
            "funds."
        ),
        "framework_priority": "Social Needs Assessment",
        "lead_organisation": "East Lancashire CCG",
        "lead_officer": "Head of Commissioning, Maternity and Children (G. Shaw)",
        "status": "Not started",
        "summary": (
            "Not started; linked to the Pennine Lancashire interpreting services contract, "
            "which is due for retender next year."
        ),
        "next_steps": (
            "Include maternity requirements in the interpreting services specification and "
            "map current booking routes for women new to the area."
        ),
        "next_step_due": date(2027, 5, 31),
        "last_updated": date(2026, 8, 3),
        "updated_by": "Gareth Shaw",
    },
    {
        "ref": "L16",
        "recommendation": (
            "Implement the ICON programme to prevent abusive head trauma, so that parents "
            "and carers receive consistent messages about coping with infant crying."
        ),
        "framework_priority": "Safeguarding",
        "lead_organisation": "Blackburn with Darwen LSCB",
        "lead_officer": "LSCB Business Manager (K. Hartley)",
        "status": "Complete",
        "summary": (
            "The ICON programme has been launched across midwifery, health visiting, GP "
            "practices and children's centres. Over 600 practitioners have been briefed "
            "and ICON messages are given at discharge and at the new birth visit."
        ),
        "next_steps": (
            "Review ICON delivery as part of the LSCB annual audit programme."
        ),
        "next_step_due": date(2027, 9, 30),
        "last_updated": date(2026, 9, 30),
        "updated_by": "Karen Hartley",
    },
    {
        "ref": "L17",
        "recommendation": (
            "Strengthen pre-birth assessment and information sharing for unborn babies "
            "at risk, including early referral to the Multi-agency safeguarding hub and "
            "timely pre-birth planning meetings."
        ),
        "framework_priority": "Safeguarding",
        "lead_organisation": "BwD Council Children's Services",
        "lead_officer": "Head of Safeguarding and Quality Assurance (P. Robinson)",
        "status": "On track",
        "summary": (
            "A revised pre-birth protocol is in place and the Multi-agency safeguarding hub "
            "now has a named midwife. Most pre-birth assessments are completed by 32 weeks "
            "of pregnancy."
        ),
        "next_steps": (
            "Carry out a multi-agency case audit of pre-birth assessments to check "
            "timeliness and quality."
        ),
        "next_step_due": date(2027, 2, 26),
        "last_updated": date(2026, 11, 6),
        "updated_by": "Paul Robinson",
    },
    {
        "ref": "L18",
        "recommendation": (
            "Screen for alcohol and substance misuse at booking and throughout pregnancy, "
            "with referral to a specialist substance misuse midwife and joint care plans "
            "with treatment services."
        ),
        "framework_priority": "Drug and Alcohol Misuse",
        "lead_organisation": "BwD Council Public Health",
        "lead_officer": "Public Health Lead, Drugs and Alcohol (D. Ashworth)",
        "status": "Off track",
        "summary": (
            "Screening at booking is in place, but the specialist substance misuse midwife "
            "post has been vacant since the spring and joint care plans are not being "
            "completed consistently."
        ),
        "next_steps": (
            "Agree joint funding of the specialist midwife post with ELHT and recruit; "
            "interim cover from the treatment service to be confirmed."
        ),
        "next_step_due": date(2026, 10, 31),
        "last_updated": date(2026, 10, 23),
        "updated_by": "David Ashworth",
    },
    {
        "ref": "L19",
        "recommendation": (
            "Agree a hidden harm protocol between adult drug and alcohol treatment services "
            "and children's services, including safer sleep advice for parents in treatment."
        ),
        "framework_priority": "Drug and Alcohol Misuse",
        "lead_organisation": "Blackburn with Darwen LSCB",
        "lead_officer": "LSCB Business Manager (K. Hartley)",
        "status": "At risk",
        "summary": (
            "A draft protocol has been produced, but sign-off has been delayed by changes "
            "to the adult treatment provider contract."
        ),
        "next_steps": (
            "Bring the draft protocol to the LSCB Policy and Procedures subgroup for "
            "sign-off once the new provider is confirmed."
        ),
        "next_step_due": date(2027, 1, 22),
        "last_updated": date(2026, 9, 2),
        "updated_by": "Karen Hartley",
    },
    {
        "ref": "L20",
        "recommendation": (
            "Ensure complete and timely CDOP returns for every infant death, with annual "
            "local analysis of CDOP modifiable factors reported to the LSCB and the Health "
            "and Wellbeing Board."
        ),
        "framework_priority": "Data and Intelligence",
        "lead_organisation": "Pan-Lancashire CDOP",
        "lead_officer": "Pan-Lancashire CDOP Manager (T. Moss)",
        "status": "On track",
        "summary": (
            "CDOP returns are complete for all cases reviewed this year. The annual analysis "
            "of CDOP modifiable factors is in draft and shows smoking and unsafe sleeping "
            "as the most common factors."
        ),
        "next_steps": (
            "Finalise the annual CDOP report and present the infant mortality findings to "
            "the LSCB and the Health and Wellbeing Board."
        ),
        "next_step_due": date(2027, 3, 19),
        "last_updated": date(2026, 11, 18),
        "updated_by": "Tom Moss",
    },
    {
        "ref": "L21",
        "recommendation": (
            "Link maternity, health visiting and CDOP data into a shared infant mortality "
            "dashboard so that partners can track risk factors and outcomes at ward level."
        ),
        "framework_priority": "Data and Intelligence",
        "lead_organisation": "BwD Council Public Health",
        "lead_officer": "Public Health Intelligence Manager (B. Holden)",
        "status": "Not started",
        "summary": "",
        "next_steps": (
            "Agree a data sharing agreement with ELHT and LCFT and define the dashboard "
            "indicators."
        ),
        "next_step_due": date(2027, 6, 30),
        "last_updated": date(2026, 10, 1),
        "updated_by": "Ben Holden",
    },
    {
        "ref": "L22",
        "recommendation": (
            "Raise awareness of infant mortality risk factors among wider partners such as "
            "housing, police, fire and rescue and the voluntary sector, so that safer sleep "
            "and smoking messages are reinforced in every contact."
        ),
        "framework_priority": "Awareness raising for wider partners",
        "lead_organisation": "Blackburn with Darwen LSCB",
        "lead_officer": "LSCB Business Manager (K. Hartley)",
        "status": "Complete",
        "summary": (
            "A multi-agency infant mortality e-learning module was launched on the LSCB "
            "training platform and briefings were delivered to housing, police, fire and "
            "rescue and voluntary sector teams."
        ),
        "next_steps": (
            "Keep the e-learning module under annual review and report completion figures "
            "to the LSCB."
        ),
        "next_step_due": None,
        "last_updated": date(2026, 10, 26),
        "updated_by": "Sana Iqbal",
    },
]

for _item in RECOMMENDATIONS:
    _item["accountable"] = _ACCOUNTABLE.get(_item["ref"], DPH)
    _item["evidence"] = _EVIDENCE.get(_item["ref"], "")
    _item["assured_by"], _item["assured_on"] = _ASSURED.get(_item["ref"], ("", None))
