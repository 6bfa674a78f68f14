// Ribbon button "Validate" (manifest.xml: FunctionName "sli-validate"): runs the same script as the
// task pane's button, with the sheets that script asks for (custom-scripts-meta).
async function sliValidateFromRibbon(event) {
  try {
    const authResult =
      typeof globalThis.getAuth === "function"
        ? await globalThis.getAuth()
        : { token: "", provider: "" };
    let exclude = "";
    try {
      const response = await fetch(
        window.location.origin + config.appPath + "/xlwings/custom-scripts-meta.json",
      );
      const meta = (await response.json()).find(
        (entry) => entry.function_name === "validate_appendix1",
      );
      exclude = (meta && meta.exclude) || "";
    } catch (error) {
      console.error(error);
    }
    await xlwings.runPython({
      scriptName: "validate_appendix1",
      auth: authResult.token,
      headers: { "Auth-Provider": authResult.provider },
      exclude: exclude,
    });
  } finally {
    event.completed();
  }
}
Office.actions.associate("sli-validate", sliValidateFromRibbon);
