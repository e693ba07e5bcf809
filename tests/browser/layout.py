"""What the browser tests measure on a page: sideways scrolling, and the size of tap targets."""

from __future__ import annotations

import os
import re
from pathlib import Path

# How far the page reaches past the viewport, and which elements stick out (outermost first),
# ignoring anything inside a box that clips or scrolls it (a .table-scroll wrapper).
_OVERFLOW = """() => {
  const inner = window.innerWidth, doc = document.documentElement;
  const sticksOut = el => el.getBoundingClientRect().right > inner + 1;
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map(c => '.' + c).join('');
  const culprits = [];
  if (doc.scrollWidth > inner + 1) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      if (!box.width || !sticksOut(el) || clipped(el)) continue;
      const parent = el.parentElement;
      if (parent !== document.body && sticksOut(parent) && !clipped(parent)) continue;
      culprits.push(name(el) + ' ' + Math.round(box.left) + '–' + Math.round(box.right) + ' px');
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: inner, culprits: culprits.slice(0, 5)};
}"""

# Table cells too narrow for their text: a column so squeezed that it shows fewer than three
# characters (or fewer than the text has, if shorter) on a line, so a name breaks 白/成.
_SQUEEZED = """() => {
  // How many lines the cell's text takes (not its box: a tall tap target is not a squeeze).
  const textLines = (cell, line) => {
    const tops = [];
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      range.selectNodeContents(walker.currentNode);
      for (const rect of range.getClientRects()) {
        const seen = tops.some(top => Math.abs(top - rect.top) < line / 2);
        if (rect.width && !seen) tops.push(rect.top);
      }
    }
    return tops.length;
  };
  const found = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const text = cell.innerText.trim();
    if (text.length < 2 || !cell.getClientRects().length) continue;
    const style = getComputedStyle(cell);
    const em = parseFloat(style.fontSize);
    const line = parseFloat(style.lineHeight) || em * 1.5;
    const width = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const wanted = Math.min([...text].length, 3) * em * 0.95;
    if (width < wanted && textLines(cell, line) > 1) {
      found.push('“' + text.slice(0, 8) + '” ' + Math.round(width) + ' px wide');
    }
  }
  return found;
}"""

# Everything a thumb has to hit. A checkbox or radio counts with its label (tapping the label
# ticks it); a link counts with its own box.
TAP_TARGETS = (
    "main button, main .button, main input:not([type=hidden]), main select, main textarea,"
    " main table a, main nav a, header a, header button"
)
_SMALL_TARGETS = """([selector, minimum]) => {
  const found = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const own = el.getBoundingClientRect();
    if (!own.width || !own.height) continue;
    // A checkbox or radio is hit through its label too: count the tallest of them.
    const checkable = el.matches('input[type=checkbox], input[type=radio]');
    const targets = [el, ...(checkable && el.labels ? el.labels : [])];
    const heights = targets.map(t => t.getBoundingClientRect().height);
    const target = targets[heights.indexOf(Math.max(...heights))];
    const box = target.getBoundingClientRect();
    if (box.height + 0.5 < minimum) {
      const text = (target.innerText || target.value || target.name || '').trim().slice(0, 12);
      found.push(target.tagName.toLowerCase() + ' “' + text + '” ' + box.height.toFixed(1) + ' px');
    }
  }
  return found;
}"""


def overflow(page) -> dict:
    """{"scrollWidth", "innerWidth", "culprits"} for the page as it is laid out now."""
    return page.evaluate(_OVERFLOW)


def squeezed_cells(page) -> list[str]:
    """Table cells whose column is too narrow to show three characters a line."""
    return page.evaluate(_SQUEEZED)


def small_tap_targets(page, minimum: float = 40) -> list[str]:
    """The tap targets on the page that are less than `minimum` CSS pixels tall."""
    return page.evaluate(_SMALL_TARGETS, [TAP_TARGETS, minimum])


def screenshot(page, name: str) -> None:
    """A full-page screenshot in $BROWSER_SCREENSHOTS, if set (to look at; never committed)."""
    directory = os.environ.get("BROWSER_SCREENSHOTS")
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", name).strip("_")
    page.screenshot(path=str(Path(directory) / f"{safe}.png"), full_page=True)
