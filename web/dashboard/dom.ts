/** Tiny DOM builders: text always goes in as text (never parsed as HTML). */

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (`class`, `data-*`, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** A headline number with a label and an optional line under it. */
export function kpi(label: string, value: string, sub?: string): HTMLElement {
  return h(
    "div",
    { class: "kpi" },
    h("div", { class: "label" }, label),
    h("div", { class: "value" }, value),
    sub ? h("div", { class: "sub" }, sub) : null,
  );
}

/** A titled card. */
export function card(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

/** A table column: heading, cell text, numeric (right-aligned) or wrapping. */
export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  align?: "num" | "wrap";
}

/** A scrollable table, or a hint when there are no rows. */
export function table<T>(columns: Column<T>[], rows: readonly T[], empty: string): HTMLElement {
  if (rows.length === 0) return h("p", { class: "hint" }, empty);
  const cls = (c: Column<T>): Record<string, string> => (c.align ? { class: c.align } : {});
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", cls(c), c.title)))),
      h(
        "tbody",
        {},
        ...rows.map((r) => h("tr", {}, ...columns.map((c) => h("td", cls(c), c.cell(r))))),
      ),
    ),
  );
}

/** A coloured dot and a word (statuses). */
export function status(word: string): HTMLElement {
  return h("span", {}, h("span", { class: `dot s-${word}` }), word);
}

/** A segmented control; `onPick` gets the picked value. */
export function segmented(
  options: readonly { value: string; label: string }[],
  active: string,
  onPick: (value: string) => void,
): HTMLElement {
  return h(
    "div",
    { class: "seg", role: "group" },
    ...options.map((o) => {
      const b = h("button", { type: "button", class: o.value === active ? "active" : "" }, o.label);
      b.addEventListener("click", () => onPick(o.value));
      return b;
    }),
  );
}
