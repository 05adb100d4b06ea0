/* input_escapes: writes terminal escape sequences and control bytes to
 * stdout in one record (issue 20, item 7): an OSC that would set the window
 * title, a CSI colour, backspace, carriage return, DEL, an 8-bit C1 CSI
 * (U+009B), a bidi override (U+202E), an embedded newline, and valid UTF-8
 * ("héllo€") that must come through intact. tests/fault/input_escape.sh
 * checks that `gpuos tail` shows the controls as escapes and `--raw` does not.
 * Expected exit status: 0. */
#include "gpuos.h"

int main(void) {
  static const char msg[] =
      "esc-test osc:\x1b]0;pwned\x07 csi:\x1b[31mred\x1b[0m bs:\x08 cr:\r del:\x7f c1:\xc2\x9b "
      "utf8:h\xc3\xa9llo\xe2\x82\xac bidi:\xe2\x80\xae nl:a\nb end\n";
  gpuos_print(msg, sizeof msg - 1);
  return 0;
}
