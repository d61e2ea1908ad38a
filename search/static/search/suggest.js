// As-you-type title suggestions for the search box (progressive enhancement:
// without JavaScript the form works the same). Fills the input's <datalist>.
const input = document.querySelector("[data-suggest-url]");
const list = input && document.getElementById(input.getAttribute("list"));
let timer;
let controller;

async function refresh() {
  const q = input.value.trim();
  if (q.length < 2) {
    list.replaceChildren();
    return;
  }
  controller?.abort();
  controller = new AbortController();
  try {
    const url = `${input.dataset.suggestUrl}?${new URLSearchParams({ q })}`;
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) return;
    const { suggestions } = await response.json();
    list.replaceChildren(
      ...suggestions.map(({ title }) => {
        const option = document.createElement("option");
        option.value = title;
        return option;
      }),
    );
  } catch {
    // Aborted by a newer keystroke, or offline: keep the last suggestions.
  }
}

if (input && list) {
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 150);
  });
}
