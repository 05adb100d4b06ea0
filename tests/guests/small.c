/* small: the smallest program, for the spawn benchmark.
 * Expected exit status: 0. */
int main(void) { return 0; }
