// Added by `communities serve` only: reloads the page when what it shows has changed, and
// swaps the stylesheets instead when only they changed. An external file, so that a strict
// Content-Security-Policy allows it.
(() => {
  const script = document.currentScript;
  // The generation this page was served at, and its path: the server tells it to reload only
  // when what it shows changed.
  const events = new EventSource(`/__communities/events${new URL(script.src).search}`);
  events.addEventListener('reload', () => {
    events.close();
    location.reload();
  });
  events.addEventListener('css', async () => {
    // Stylesheets are published under names hashed from their content: the page as rebuilt
    // names the new ones, in the same order.
    const response = await fetch(location.href, { cache: 'no-store' });
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
    const hrefs = [...fresh.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.getAttribute('href'));
    const links = [...document.querySelectorAll('link[rel="stylesheet"]')];
    if (!response.ok || hrefs.length !== links.length) {
      events.close();
      location.reload();
      return;
    }
    links.forEach((link, i) => {
      link.href = new URL(hrefs[i], location.href).href;
    });
  });
})();
