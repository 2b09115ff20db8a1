// Ledger pages: the only script. Copies ids, and refreshes [data-live] parts of a page every few seconds.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const text = button.dataset.copy || "";
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
  button.textContent = "Copied";
  button.classList.add("done");
  setTimeout(() => { button.textContent = "Copy"; button.classList.remove("done"); }, 1500);
});

for (const part of document.querySelectorAll("[data-live]")) {
  const every = Number(part.dataset.interval || 3000);
  const refresh = async () => {
    try {
      const response = await fetch(part.dataset.live, { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) {
        part.innerHTML = '<p class="notice error">Signed out: <a href="/ui/sign-in">sign in again</a> to see live figures.</p>';
        return;
      }
      if (response.ok) {
        // Replace only when the words changed, so a screen reader hears the live region only when a figure moved.
        const fresh = document.createElement("template");
        fresh.innerHTML = await response.text();
        const words = (node) => node.textContent.replace(/\s+/g, " ").trim();
        if (words(fresh.content) !== words(part)) part.replaceChildren(fresh.content);
      }
    } catch {
      // offline for a moment: try again at the next tick
    }
    setTimeout(refresh, every);
  };
  setTimeout(refresh, every);
}
