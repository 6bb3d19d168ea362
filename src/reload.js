// Added by `communities serve` only: reloads the page when the site has been rebuilt, and
// swaps the stylesheets instead when only they changed. An external file, so that a strict
// Content-Security-Policy allows it.
(() => {
  const script = document.currentScript;
  const since = new URL(script.src).searchParams.get('since') ?? '';
  const events = new EventSource(`/__communities/events?since=${encodeURIComponent(since)}`);
  events.addEventListener('reload', () => {
    events.close();
    location.reload();
  });
  events.addEventListener('css', (event) => {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href);
      url.searchParams.set('v', event.data);
      link.href = url.href;
    }
  });
})();
