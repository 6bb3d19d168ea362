// Added by `communities serve` only, with the panel of problems: hides the panel when asked.
// An external file, so that a strict Content-Security-Policy allows it.
(() => {
  for (const button of document.querySelectorAll('.communities-panel-close')) {
    button.addEventListener('click', () => button.closest('.communities-panel')?.remove());
  }
})();
