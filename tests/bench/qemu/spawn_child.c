/* The program mm_bench starts and waits for in its spawn_exit figure: it does nothing but end,
 * so that the figure is the cost of a process's life around an empty main. */
int main(void) {
    return 0;
}
