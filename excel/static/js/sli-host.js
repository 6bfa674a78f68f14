// SLI Tracker: is this page open in Excel, or on its own in a browser? Loaded first, before office.js and
// xlwings Server's scripts, so that a page no Office application opened is never reloaded by xlwings'
// recovery (taskpane-reload.js reloads a pane whose Office.onReady() finds no host, then shows "The add-in
// didn't load properly") and says instead what it is and how to load it into Excel.
//
// Office opens a task pane with its host in the address (`_host_Info=Excel$Win32$...`), keeps it in
// sessionStorage ("hostInfoValue") for reloads, frames it (Excel on the web) or shows it in a web view that
// office.js talks to (window.external.GetHostInfo, chrome.webview on Windows, webkit.messageHandlers on a
// Mac). With none of these the page is taken to be in a plain browser until Office.onReady() says otherwise
// (sli-taskpane.js has the last word: a host there shows the pane).
(function () {
  // xlwings Server 1.20's own sessionStorage key for the reloads it has made (taskpane-reload.js).
  const XLWINGS_RELOADS = "xlwingsTaskpaneReloadCount";

  function openedByOffice() {
    try {
      if (window.external && typeof window.external.GetHostInfo !== "undefined") return true;
    } catch (e) {
      return true; // a host object that refuses to be read is Office's
    }
    if (typeof window.agaveHost !== "undefined") return true;
    if (/[?&#]_host_Info=/i.test(window.location.search + window.location.hash)) return true;
    try {
      if (window.sessionStorage.getItem("hostInfoValue")) return true;
    } catch (e) {}
    try {
      const named = JSON.parse(window.name || "null");
      if (named && named.hostInfo) return true;
    } catch (e) {}
    try {
      if (window.top !== window.self) return true;
    } catch (e) {
      return true; // framed by another origin, as Excel on the web frames it
    }
    if (window.chrome && window.chrome.webview) return true;
    if (window.webkit && window.webkit.messageHandlers) return true;
    return false;
  }

  const outside = !openedByOffice();
  globalThis.sliOpenedByOffice = !outside;
  if (outside) {
    document.documentElement.classList.add("sli-outside-office");
    try {
      // Spend xlwings' reload budget now: a browser on its own is not an Excel that needs another try.
      window.sessionStorage.setItem(XLWINGS_RELOADS, "1000");
    } catch (e) {}
  }
})();
