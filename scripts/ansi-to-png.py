#!/usr/bin/env python3
"""Draws a terminal capture with colour escapes (`tmux capture-pane -e -p`) as a PNG.

    scripts/ansi-to-png.py INPUT.ansi OUTPUT.png [--columns 160] [--rows 45] [--font-size 15]

Understands SGR escapes: 16, 256 and truecolor foreground/background, bold, dim, reverse
(and resets of each); other escapes are skipped. Draws a monospace grid with DejaVu Sans
Mono (bold for bold cells), falling back to DejaVu Sans for a symbol the mono font lacks.
Block elements (▁▂▃▄▅▆▇█, ▏▎▍▌▋▊▉, ▐ ▀ ░▒▓) and the light box-drawing lines are drawn as
shapes, as terminals do, so that bars and borders join from cell to cell; so is ⏸, which no
DejaVu font has.

Needs Pillow (python3 -m pip install --user pillow); scripts/screenshots.sh installs it.
"""

import argparse
import re
import sys
import unicodedata

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:
    sys.exit("ansi-to-png.py needs Pillow: python3 -m pip install --user pillow")

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONTS = {
    "regular": FONT_DIR + "DejaVuSansMono.ttf",
    "bold": FONT_DIR + "DejaVuSansMono-Bold.ttf",
    "fallback": FONT_DIR + "DejaVuSans.ttf",
    "fallback-bold": FONT_DIR + "DejaVuSans-Bold.ttf",
}

DEFAULT_FG = (208, 208, 208)
DEFAULT_BG = (18, 18, 18)

# The 16 basic colours (xterm's), then the 6x6x6 cube and the grey ramp of the 256-colour set.
BASIC = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]
# SGR code -> (layer, index in BASIC): 30-37 and 90-97 the foreground, 40-47 and 100-107 the background.
BASIC_CODES = {base + k: (layer, k + bright) for base, layer, bright in ((30, "fg", 0), (90, "fg", 8), (40, "bg", 0), (100, "bg", 8))
               for k in range(8)}


def palette256(n):
    if n < 16:
        return BASIC[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return (levels[n // 36], levels[(n // 6) % 6], levels[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None  # None: the default colour
        self.bg = None
        self.bold = False
        self.dim = False
        self.reverse = False

    def copy(self):
        s = Style()
        s.fg, s.bg, s.bold, s.dim, s.reverse = self.fg, self.bg, self.bold, self.dim, self.reverse
        return s


def extended_colour(params, i):
    """Reads `5;N` or `2;R;G;B` after a 38/48 at params[i]; returns (colour, next index)."""
    if i + 1 < len(params) and params[i + 1] == 5 and i + 2 < len(params):
        return palette256(params[i + 2] % 256), i + 3
    if i + 1 < len(params) and params[i + 1] == 2 and i + 4 < len(params):
        return tuple(max(0, min(255, p)) for p in params[i + 2:i + 5]), i + 5
    return None, len(params)


def apply_sgr(style, text):
    # `38:5:N` and `38:2::R:G:B` (colon forms) are read like their semicolon forms.
    text = text.replace("::", ":")
    params = [int(p) if p.isdigit() else 0 for p in re.split(r"[;:]", text)] if text else [0]
    i = 0
    while i < len(params):
        p = params[i]
        if p == 0:
            style.reset()
        elif p == 1:
            style.bold = True
        elif p == 2:
            style.dim = True
        elif p == 22:
            style.bold = style.dim = False
        elif p == 7:
            style.reverse = True
        elif p == 27:
            style.reverse = False
        elif p in BASIC_CODES:
            layer, index = BASIC_CODES[p]
            setattr(style, layer, BASIC[index])
        elif p in (39, 49):
            setattr(style, "fg" if p == 39 else "bg", None)
        elif p in (38, 48):
            colour, i = extended_colour(params, i)
            if colour is not None:
                if p == 38:
                    style.fg = colour
                else:
                    style.bg = colour
            continue
        i += 1


ESCAPE = re.compile(r"\x1b\[([0-9;:?]*)([A-Za-z])|\x1b[()][0-9A-Za-z]|\x1b[=>78]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def cell_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text, columns, rows):
    """The capture as rows of cells (character, Style); wide characters take two cells."""
    grid = []
    # tmux writes only what changes from the cell before, across line ends too: the style goes on.
    style = Style()
    for line in text.split("\n")[:rows]:
        cells = []
        pos = 0
        for m in ESCAPE.finditer(line):
            for ch in line[pos:m.start()]:
                put(cells, ch, style)
            if m.group(2) == "m":
                apply_sgr(style, m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            put(cells, ch, style)
        grid.append(cells[:columns])
    while len(grid) < rows:
        grid.append([])
    return grid


def put(cells, ch, style):
    if ch in "\r\x07":
        return
    if ch == "\t":
        for _ in range(8 - len(cells) % 8):
            cells.append((" ", style.copy()))
        return
    width = cell_width(ch)
    if width == 0:
        if cells:
            last, s = cells[-1]
            cells[-1] = (last + ch, s)
        return
    cells.append((ch, style.copy()))
    if width == 2:
        cells.append(("", style.copy()))


def blend(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def colours(style):
    fg = style.fg or DEFAULT_FG
    bg = style.bg or DEFAULT_BG
    if style.reverse:
        fg, bg = bg, fg
    if style.dim:
        fg = blend(fg, bg, 0.45)
    return fg, bg


class Renderer:
    def __init__(self, size):
        self.fonts = {name: ImageFont.truetype(path, size) for name, path in FONTS.items()}
        regular = self.fonts["regular"]
        ascent, descent = regular.getmetrics()
        self.cw = round(regular.getlength("M"))
        self.ch = ascent + descent + 1
        self.ascent = ascent
        self.missing = {}
        # What a code point no font has looks like: a glyph that renders the same is missing.
        self.notdef = {name: bytes(font.getmask("\U0010fffd")) for name, font in self.fonts.items()}

    def has_glyph(self, font_name, ch):
        key = (font_name, ch)
        if key not in self.missing:
            self.missing[key] = bytes(self.fonts[font_name].getmask(ch)) == self.notdef[font_name] and not ch.isspace()
        return not self.missing[key]

    def font_for(self, ch, bold):
        first = "bold" if bold else "regular"
        for name in (first, "regular", "fallback-bold" if bold else "fallback", "fallback"):
            if self.has_glyph(name, ch[0]):
                return self.fonts[name]
        return self.fonts[first]

    def shape(self, draw, ch, x, y, fg, bg):
        """Draws block elements and light box lines as shapes; False if `ch` is not one."""
        cw, chh = self.cw, self.ch
        o = ord(ch)
        if 0x2581 <= o <= 0x2588:  # ▁ … █: lower eighths
            h = round(chh * (o - 0x2580) / 8)
            draw.rectangle([x, y + chh - h, x + cw - 1, y + chh - 1], fill=fg)
            return True
        if 0x2589 <= o <= 0x258F:  # ▉ … ▏: left eighths
            w = max(1, round(cw * (0x2590 - o) / 8))
            draw.rectangle([x, y, x + w - 1, y + chh - 1], fill=fg)
            return True
        if o == 0x2580:  # ▀
            draw.rectangle([x, y, x + cw - 1, y + chh // 2 - 1], fill=fg)
            return True
        if o == 0x2590:  # ▐
            draw.rectangle([x + cw // 2, y, x + cw - 1, y + chh - 1], fill=fg)
            return True
        if o == 0x2594:  # ▔
            draw.rectangle([x, y, x + cw - 1, y + max(1, chh // 8) - 1], fill=fg)
            return True
        if 0x2591 <= o <= 0x2593:  # ░▒▓
            draw.rectangle([x, y, x + cw - 1, y + chh - 1], fill=blend(bg, fg, (o - 0x2590) / 4))
            return True
        if o == 0x23F8:  # ⏸ (no DejaVu font has it): two bars, as a fallback font would draw it
            bw, top, bottom = max(2, cw // 4), y + chh // 4, y + chh - chh // 4 - 1
            draw.rectangle([x + cw // 2 - bw - 1, top, x + cw // 2 - 2, bottom], fill=fg)
            draw.rectangle([x + cw // 2 + 1, top, x + cw // 2 + bw, bottom], fill=fg)
            return True
        lines = BOX.get(ch)
        if lines is None:
            return False
        up, down, left, right, heavy = lines
        t = 2 if heavy else 1
        mx, my = x + cw // 2, y + chh // 2
        hx0 = x if left else mx
        hx1 = x + cw - 1 if right else mx
        if left or right:
            draw.rectangle([hx0, my, hx1, my + t - 1], fill=fg)
        vy0 = y if up else my
        vy1 = y + chh - 1 if down else my
        if up or down:
            draw.rectangle([mx, vy0, mx + t - 1, vy1], fill=fg)
        return True

    def render(self, grid, columns, rows, pad=10):
        width, height = columns * self.cw + 2 * pad, rows * self.ch + 2 * pad
        image = Image.new("RGB", (width, height), DEFAULT_BG)
        draw = ImageDraw.Draw(image)
        for r, cells in enumerate(grid):
            y = pad + r * self.ch
            for c, (ch, style) in enumerate(cells):
                x = pad + c * self.cw
                fg, bg = colours(style)
                if bg != DEFAULT_BG:
                    draw.rectangle([x, y, x + self.cw - 1, y + self.ch - 1], fill=bg)
                if not ch or ch == " ":
                    continue
                if self.shape(draw, ch, x, y, fg, bg):
                    continue
                font = self.font_for(ch, style.bold)
                glyph_width = font.getlength(ch)
                span = 2 * self.cw if cell_width(ch[0]) == 2 else self.cw
                # A glyph wider than its cell (fallback symbols) is centred and may overhang a little.
                dx = (span - glyph_width) / 2 if glyph_width > span or font not in (self.fonts["regular"], self.fonts["bold"]) else 0
                draw.text((x + dx, y), ch, font=font, fill=fg)
        return image


# Light (and heavy) box-drawing characters: which arms each has, and whether heavy.
BOX = {
    "─": (0, 0, 1, 1, 0), "│": (1, 1, 0, 0, 0), "┌": (0, 1, 0, 1, 0), "┐": (0, 1, 1, 0, 0),
    "└": (1, 0, 0, 1, 0), "┘": (1, 0, 1, 0, 0), "├": (1, 1, 0, 1, 0), "┤": (1, 1, 1, 0, 0),
    "┬": (0, 1, 1, 1, 0), "┴": (1, 0, 1, 1, 0), "┼": (1, 1, 1, 1, 0),
    "━": (0, 0, 1, 1, 1), "┃": (1, 1, 0, 0, 1), "┏": (0, 1, 0, 1, 1), "┓": (0, 1, 1, 0, 1),
    "┗": (1, 0, 0, 1, 1), "┛": (1, 0, 1, 0, 1),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--columns", type=int, default=160)
    parser.add_argument("--rows", type=int, default=45)
    parser.add_argument("--font-size", type=int, default=15)
    args = parser.parse_args()
    with open(args.input, encoding="utf-8", errors="replace") as f:
        text = f.read()
    grid = parse(text.rstrip("\n"), args.columns, args.rows)
    renderer = Renderer(args.font_size)
    renderer.render(grid, args.columns, args.rows).save(args.output, optimize=True)


if __name__ == "__main__":
    main()
