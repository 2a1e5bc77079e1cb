// Content scripts cannot be ES modules in MV3: this loader imports the real one from the extension.
(async () => {
  const { start } = await import(chrome.runtime.getURL("content/weibo.js"));
  start(window, chrome);
})();
