// The header's menu is a <details>, so it opens and closes without this script; this adds
// what a menu is expected to do besides: Escape closes it (focus back on its button), and so
// does a click or a focus move anywhere outside it.
const menu = document.querySelector(".nav-menu");

if (menu) {
  const toggle = menu.querySelector("summary");
  const close = () => { menu.open = false; };
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open) {
      close();
      toggle.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (menu.open && !menu.contains(event.target)) close();
  });
  menu.addEventListener("focusout", (event) => {
    if (menu.open && event.relatedTarget && !menu.contains(event.relatedTarget)) close();
  });
}
