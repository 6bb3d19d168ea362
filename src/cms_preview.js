// The editor's preview shows entries with the site's own stylesheets. They are read from the
// home page, so this file need not know their content-hashed names.
(async () => {
  const home = new URL('../', document.baseURI);
  const response = await fetch(home);
  const page = new DOMParser().parseFromString(await response.text(), 'text/html');
  for (const link of page.querySelectorAll('link[rel="stylesheet"]')) {
    window.CMS.registerPreviewStyle(new URL(link.getAttribute('href'), home).href);
  }
})();
