/*
 * A tiny program for the loader tests, built for x86_64 and riscv64 with ipc/user/user.ld:
 * text (R X), rodata (R) and data + bss (R W) on their own pages, each with bytes the test
 * can recognise in the loaded frames. Never run: only loaded.
 */
static const char message[] = "tiny rodata: loaded by mmserver";
char data_word[64] = "tiny data: copied from the file";
char bss_area[8192]; /* memsz past filesz: must read as zeroes */

/* The entry point: touches every segment so none is discarded. */
void _start(void) {
    for (;;) {
        bss_area[data_word[0] & 0xff] = message[data_word[1] & 7];
    }
}
