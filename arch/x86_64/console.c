/*
 * x86_64 console on COM1 (16550 UART at I/O port 0x3f8), polled: the kernel prints with
 * interrupts off, and a boot console must work before anything else does.
 */
#include "x86.h"

#define COM1           0x3f8u
#define UART_DATA      0u /* transmit / receive buffer (DLAB 0), divisor low (DLAB 1) */
#define UART_IER       1u /* interrupt enable (DLAB 0), divisor high (DLAB 1) */
#define UART_FCR       2u /* FIFO control */
#define UART_LCR       3u /* line control */
#define UART_MCR       4u /* modem control */
#define UART_LSR       5u /* line status */
#define LCR_8N1        0x03u
#define LCR_DLAB       0x80u
#define FCR_ENABLE     0xc7u /* enable and clear FIFOs, 14-byte threshold */
#define MCR_DTR_RTS    0x03u
#define LSR_THR_EMPTY  0x20u
#define DIVISOR_115200 1u

/* Programs COM1 for 115200 8N1 without interrupts. => called once, first thing. */
void x86_console_init(void) {
    x86_outb(COM1 + UART_IER, 0);
    x86_outb(COM1 + UART_LCR, LCR_DLAB);
    x86_outb(COM1 + UART_DATA, DIVISOR_115200);
    x86_outb(COM1 + UART_IER, 0);
    x86_outb(COM1 + UART_LCR, LCR_8N1);
    x86_outb(COM1 + UART_FCR, FCR_ENABLE);
    x86_outb(COM1 + UART_MCR, MCR_DTR_RTS);
}

/* Waits until the transmitter takes a byte, then gives it one. */
static void uart_put(char c) {
    while (!(x86_inb(COM1 + UART_LSR) & LSR_THR_EMPTY)) {
    }
    x86_outb(COM1 + UART_DATA, (uint8_t)c);
}

/* See arch.h. */
void arch_console_putc(char c) {
    if (c == '\n') {
        uart_put('\r');
    }
    uart_put(c);
}
