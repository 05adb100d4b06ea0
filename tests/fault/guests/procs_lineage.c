/* procs_lineage: a process tree with a line of descent through exited,
 * reaped ancestors, for `gpuos kill --tree PID` below a tree's root (issue
 * 20, item 8). gpuos_arg() picks the role:
 *   0    the root: spawns the bystander (200), then the top (100), prints
 *        "lineage: bystander B top T", then yields for ever.
 *   100  the top: spawns 101 and waits for it, then yields for ever.
 *   101  spawns 102 and exits, so 100's wait reaps it while 102 lives: the
 *        kernel keeps 101's entry as a ghost for 102's chain.
 *   102  spawns 103 and waits for it (103 becomes a ghost too), then yields.
 *   103  spawns 104 and exits.
 *   104  the leaf: spawns four sleepers (105), then for ever spawns a
 *        process that exits at once (106) and waits for it, so spawns race
 *        any kill.
 *   105, 201  yield for ever.   106  exits 0.
 *   200  the bystander: spawns 201, then yields for ever.
 *   300..339  a chain: each spawns the next and exits at once, so each is a
 *        ghost kept for the one below; 340, the last, yields for ever. Its
 *        end frees 40 ghosts in a row, more than one release frees (the
 *        kernel's RELEASE_LEVELS): the sweep frees the rest.
 * Killing the top must end 100, 102, 104 and every 105 and 106, and leave
 * the root, 200 and 201 running. Expected exit status: none until killed.
 */
#include "gpuos.h"

static void forever(void) {
  for (;;) gpuos_yield();
}

static int32_t spawn_or_die(int32_t arg) {
  int32_t pid;
  while ((pid = gpuos_spawn(GPUOS_SELF, arg)) <= 0) {
    if (pid == GPUOS_SPAWN_KILLED) return pid; /* our kill came first */
    gpuos_yield();                              /* the table is busy: again */
  }
  return pid;
}

int main(void) {
  int32_t arg = gpuos_arg();
  switch (arg) {
    case 0: {
      int32_t bystander = spawn_or_die(200);
      int32_t top = spawn_or_die(100);
      gpuos_printf("lineage: bystander %d top %d\n", bystander, top);
      forever();
    }
    case 100:
    case 102:
      gpuos_wait(spawn_or_die(arg + 1));
      forever();
    case 101:
    case 103:
      spawn_or_die(arg + 1);
      return 0;
    case 104:
      for (int i = 0; i < 4; i++) spawn_or_die(105);
      for (;;) {
        int32_t pid = spawn_or_die(106);
        if (pid > 0) gpuos_wait(pid);
      }
    case 200:
      spawn_or_die(201);
      forever();
    case 106:
      return 0;
    default:
      if (arg >= 300 && arg < 340) {
        spawn_or_die(arg + 1);
        return 0;
      }
      forever();
  }
  return 0;
}
