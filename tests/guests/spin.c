/* spin: a runaway process. Loops forever on a volatile counter and never calls
 * an import, so only preemption (the quantum), the instruction budget or
 * kill can stop it; nothing it does ever gives the lane up by itself.
 * Expected exit status: none (never exits); 137 once killed. */
#include "gpuos.h"

int main(void) {
  volatile uint32_t counter = 0;
  for (;;) counter = counter + 1;
}
