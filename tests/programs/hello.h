/*
 * What the starter's two programs agree on (hello.c shares a page, hello_peer.c receives
 * it). Neither knows the other's client id (the runner starts both and tells neither), so
 * the peer accepts a one-page window from every client id k at HELLO_WINDOW(k), and hello
 * offers its page into every (client, window) pair: only the window the peer accepted from
 * hello takes it. Ids are small: mmserver serves at most HELLO_IDS - 1 programs at once.
 */
#pragma once

#include <stdbool.h>

#include <ipc/ulib.h>

#define HELLO_IDS       16u
#define HELLO_WINDOW(k) (0x68000000ull + (uint64_t)(k)*MM_PAGE_SIZE)
#define HELLO_TEXT      "hello, peer: this page is mine and yours"
#define HELLO_ANSWER    0x600dbeefull /* what the peer writes back at HELLO_ANSWER_AT */
#define HELLO_ANSWER_AT 2048u
#define HELLO_ROUNDS    4000u /* yields before a side gives up waiting */
