#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/ncurses.h>

/* The process's own terminal for newterm, and its standard screen: stdout, stdin and stdscr are
   C globals that Swift 6 will not read. newterm returns NULL when TERM has no usable terminfo
   entry, where initscr would print its own message and exit the process. */
static inline SCREEN *quantty_newterm(void) { return newterm(NULL, stdout, stdin); }
static inline WINDOW *quantty_stdscr(void) { return stdscr; }
