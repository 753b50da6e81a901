/*
 * The few C-library memory and string functions freestanding code needs. The compiler may
 * emit calls to memcpy and memset for structure copies even with -fno-builtin, so both the
 * kernel and the user runtime link these (ipc/lib/string.c).
 */
#pragma once

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
