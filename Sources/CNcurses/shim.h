// A thin shim over the system ncursesw: wide-character API on, and accessors for the C globals
// and macros Swift cannot import (Swift 6 rejects reading shared mutable C globals directly).
#ifndef THRIFTTOP_CNCURSES_SHIM_H
#define THRIFTTOP_CNCURSES_SHIM_H
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncurses.h>

static inline WINDOW *tt_stdscr(void) { return stdscr; }
static inline int tt_lines(void) { return LINES; }
static inline int tt_cols(void) { return COLS; }
static inline int tt_colors(void) { return COLORS; }
static inline int tt_color_pairs(void) { return COLOR_PAIRS; }
static inline attr_t tt_a_bold(void) { return A_BOLD; }
static inline attr_t tt_a_reverse(void) { return A_REVERSE; }
static inline attr_t tt_a_underline(void) { return A_UNDERLINE; }
static inline attr_t tt_a_dim(void) { return A_DIM; }
static inline attr_t tt_a_normal(void) { return A_NORMAL; }
static inline int tt_key_f(int n) { return KEY_F(n); }
// newterm() instead of initscr(): it returns NULL on failure instead of exiting the process.
static inline FILE *tt_stdout(void) { return stdout; }
static inline FILE *tt_stdin(void) { return stdin; }
// Mouse masks are function-like macros in ncurses 6, so Swift cannot import them.
static inline mmask_t tt_button1_pressed(void) { return BUTTON1_PRESSED; }
static inline mmask_t tt_button1_clicked(void) { return BUTTON1_CLICKED; }
static inline mmask_t tt_button4_pressed(void) { return BUTTON4_PRESSED; }
static inline mmask_t tt_button5_pressed(void) { return BUTTON5_PRESSED; }
#endif
