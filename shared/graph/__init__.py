"""The workbook where councils keep it: Appendix 1 in SharePoint or OneDrive, through Microsoft Graph.

An adapter behind the same use cases as the file: `address` (what SLI_WORKBOOK may name), `errors` (Graph's
answers as the sentences and kinds the write path acts on), `client` (httpx, `Retry-After`, counted requests),
`mirror` (the file downloaded into the state folder, kept by the item's cTag, read by shared.reader),
`session` (one persistent workbook session), `writer` (plans written as ranges) and `uow` (the unit of work the
use cases are given). README, "For IT: the workbook in SharePoint or OneDrive".
"""
