/*
 * mmviz: draws the address spaces mmserver dumps as one SVG picture.
 *
 * Input: any text (a QEMU console log is fine); only the machine-readable lines count:
 *   mmdump <client> region <base> <len> <perm> <kind> <maxperm> <memtype> <peer>
 *   mmdump <client> leaves <va> <pa> <pages> <shift> <perm>
 *   mmdump <client> tables <level> <count>
 *   mmdump <client> account <charge> <quota> <data> <tables> ... (only the first two read)
 *   mmdump <client> skipped regions <count> <pages>   (a long dump's left-out regions: drawn
 *                                                     as one grey stand-in labelled +count)
 *   mmdump <client> name <program name>
 * (format defined in mmserver/include/mmserver/mm.h; the name line is mmserver/main.c's,
 * printed before each dump). A client's "region" line after its leaves or tables starts a
 * new dump of it, which replaces the earlier one: a log with several dumps draws the last
 * state of each client. A name line with another name than the client's row has starts a
 * new row: the client id was given to another program.
 *
 * Output: one row per client. User address spaces are sparse (code near 4 MiB, stacks near
 * 128 TiB), so the axis is not linear: each region gets a width that grows with log2 of its
 * size, and the gaps between regions are drawn as breaks labelled with their size. Regions
 * are coloured by permission; below each region a strip shows which pages are backed by
 * frames, with 2 MiB and 1 GiB leaves marked; table counts per level close the row.
 *
 * Usage: mmviz [LOG] [-o OUT.svg]   (stdin / stdout by default)
 * A host tool, built static with musl (tools/CMakeLists.txt).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CLIENTS 64
#define MAX_REGIONS 128
#define MAX_RUNS    512
#define MAX_LEVELS  8
#define PAGE        4096u

typedef struct region {
    uint64_t base, len;
    char perm[4], kind[16];
} region_t;

typedef struct run {
    uint64_t va, pages;
    unsigned shift;
} run_t;

#define NAME_MAX 32 /* mmserver's names: at most 31 bytes (ipc/mmpriv.h) */

typedef struct client {
    uint64_t id;
    char name[NAME_MAX]; /* the program's, or empty */
    region_t regions[MAX_REGIONS];
    unsigned nregions;
    run_t runs[MAX_RUNS];
    unsigned nruns;
    uint64_t tables[MAX_LEVELS];
    uint64_t charge, quota;
    bool seen_more;     /* leaves/tables/account seen since the last region line */
    bool account_fresh; /* the account line came after the last leaves/tables line */
} client_t;

static client_t clients[MAX_CLIENTS];
static unsigned nclients;

/* A new record for client id; NULL when the table is full. */
static client_t *client_new(uint64_t id) {
    if (nclients == MAX_CLIENTS) {
        return NULL;
    }
    client_t *c = &clients[nclients++];
    memset(c, 0, sizeof(*c));
    c->id = id;
    return c;
}

/* The latest record for client id, created on first sight; NULL when the table is full. */
static client_t *client_for(uint64_t id) {
    for (unsigned i = nclients; i-- > 0;) {
        if (clients[i].id == id) {
            return &clients[i];
        }
    }
    return client_new(id);
}

/* A name line: names c's row, or starts a new row for id when c has another name. */
static client_t *client_named(client_t *c, const char *name) {
    if (c->name[0] && strcmp(c->name, name) != 0) {
        c = client_new(c->id);
    }
    if (c) {
        snprintf(c->name, sizeof(c->name), "%s", name);
    }
    return c;
}

/* Takes one "mmdump ..." line (from its "mmdump" on); ignores what it cannot read. */
static void take_line(const char *s) {
    uint64_t id, a, b, d;
    char what[16], p[8], k[16], name[NAME_MAX];
    unsigned shift;
    if (sscanf(s, "mmdump %" SCNx64 " %15s", &id, what) != 2) {
        return;
    }
    client_t *c = client_for(id);
    if (!c) {
        return;
    }
    s = strstr(s, what) + strlen(what);
    if (!strcmp(what, "name") && sscanf(s, " %31[ -~]", name) == 1) {
        client_named(c, name);
    } else if (!strcmp(what, "region") &&
               sscanf(s, "%" SCNx64 " %" SCNx64 " %7s %15s", &a, &b, p, k) == 4) {
        if (c->seen_more) { /* a new dump of this client begins */
            uint64_t id = c->id, charge = c->charge, quota = c->quota;
            bool fresh = c->account_fresh; /* mmserver prints the account first: this dump's */
            char keep[NAME_MAX];
            memcpy(keep, c->name, sizeof(keep));
            memset(c, 0, sizeof(*c));
            c->id = id;
            memcpy(c->name, keep, sizeof(keep));
            c->charge = fresh ? charge : 0;
            c->quota = fresh ? quota : 0;
        }
        if (c->nregions < MAX_REGIONS) {
            region_t *r = &c->regions[c->nregions++];
            r->base = a;
            r->len = b;
            snprintf(r->perm, sizeof(r->perm), "%.3s", p);
            snprintf(r->kind, sizeof(r->kind), "%s", k);
        }
    } else if (!strcmp(what, "skipped") &&
               sscanf(s, " %15s %" SCNx64 " %" SCNx64, k, &a, &b) == 3 && !strcmp(k, "regions")) {
        /* mmserver left regions out of a long dump: one grey stand-in, labelled with their
         * count, right after the last region shown (their pages give its width) */
        if (c->nregions < MAX_REGIONS) {
            region_t *r = &c->regions[c->nregions];
            r->base = c->nregions
                          ? c->regions[c->nregions - 1].base + c->regions[c->nregions - 1].len
                          : 0;
            r->len = b * PAGE;
            snprintf(r->perm, sizeof(r->perm), "...");
            snprintf(r->kind, sizeof(r->kind), "+%" PRIu64 " more", a);
            c->nregions++;
        }
    } else if (!strcmp(what, "leaves") &&
               sscanf(s, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %x", &a, &b, &d, &shift) == 4) {
        c->seen_more = true;
        c->account_fresh = false;
        if (c->nruns < MAX_RUNS) {
            c->runs[c->nruns++] = (run_t){.va = a, .pages = d, .shift = shift};
        }
    } else if (!strcmp(what, "tables") && sscanf(s, "%" SCNx64 " %" SCNx64, &a, &b) == 2) {
        c->seen_more = true;
        c->account_fresh = false;
        if (a < MAX_LEVELS) {
            c->tables[a] = b;
        }
    } else if (!strcmp(what, "account") && sscanf(s, "%" SCNx64 " %" SCNx64, &a, &b) == 2) {
        c->seen_more = true;
        c->account_fresh = true;
        c->charge = a;
        c->quota = b;
    }
}

/* ---- drawing --------------------------------------------------------------------------- */

#define LEFT     120.0 /* room for the row label */
#define ROW_H    86.0
#define BAR_Y    22.0
#define BAR_H    30.0
#define GAP_W    40.0
#define PX_SCALE 14.0 /* extra width per doubling of a region's size */

/* Fill colour for a permission string such as "rw-". */
static const char *perm_colour(const char *perm) {
    bool w = perm[1] == 'w', x = perm[2] == 'x', r = perm[0] == 'r';
    if (w) {
        return "#6fbf73"; /* rw-: green */
    }
    if (x) {
        return "#e8885a"; /* r-x: orange */
    }
    return r ? "#6fa8dc" : "#bbbbbb"; /* r--: blue; ---: grey */
}

/* Width in pixels of a region of len bytes: grows with log2(pages). */
static double region_width(uint64_t len) {
    double w = 36.0;
    for (uint64_t pages = len / PAGE; pages > 1; pages >>= 1) {
        w += PX_SCALE;
    }
    return w;
}

/* A size in the largest unit that keeps it whole-ish ("12K", "3M", "128T"). */
static void human(uint64_t bytes, char *out, size_t n) {
    const char *units = "KMGTPE";
    double v = (double)bytes / 1024.0;
    unsigned u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, n, v < 10 && v != (uint64_t)v ? "%.1f%c" : "%.0f%c", v, units[u]);
}

/* Draws the backed strip of region r: the leaf runs that fall inside it, scaled to w. */
static void draw_backing(FILE *o, const client_t *c, const region_t *r, double x, double y,
                         double w) {
    for (unsigned i = 0; i < c->nruns; i++) {
        const run_t *run = &c->runs[i];
        uint64_t lo = run->va, hi = run->va + run->pages * PAGE;
        if (hi <= r->base || lo >= r->base + r->len) {
            continue;
        }
        lo = lo < r->base ? r->base : lo;
        hi = hi > r->base + r->len ? r->base + r->len : hi;
        double x0 = x + w * (double)(lo - r->base) / (double)r->len;
        double x1 = x + w * (double)(hi - r->base) / (double)r->len;
        const char *fill = run->shift >= 30 ? "#5b2c83" : run->shift >= 21 ? "#8e44ad" : "#444";
        fprintf(o, "<rect x='%.1f' y='%.1f' width='%.1f' height='6' fill='%s'/>\n", x0,
                y + BAR_H + 3, x1 - x0 < 1 ? 1 : x1 - x0, fill);
        if (run->shift >= 21 && x1 - x0 > 18) {
            fprintf(o, "<text x='%.1f' y='%.1f' font-size='8' fill='#8e44ad'>%s</text>\n", x0,
                    y + BAR_H + 18, run->shift >= 30 ? "1G" : "2M");
        }
    }
}

/* Writes s with the characters XML gives a meaning escaped. */
static void put_xml(FILE *o, const char *s) {
    for (; *s; s++) {
        if (*s == '<') {
            fputs("&lt;", o);
        } else if (*s == '>') {
            fputs("&gt;", o);
        } else if (*s == '&') {
            fputs("&amp;", o);
        } else if (*s == '\'') {
            fputs("&apos;", o);
        } else {
            fputc(*s, o);
        }
    }
}

/* The row's label: the program's name (when the log has one) over "client N". */
static void draw_label(FILE *o, const client_t *c, double y) {
    double at = y + BAR_Y + 20;
    if (c->name[0]) {
        fprintf(o, "<text x='8' y='%.1f' font-size='13' font-weight='bold' class='name'>", at);
        put_xml(o, c->name);
        fputs("</text>\n", o);
        at += 16;
    }
    fprintf(o, "<text x='8' y='%.1f' font-size='%d'%s>client %llu</text>\n", at,
            c->name[0] ? 11 : 13, c->name[0] ? "" : " font-weight='bold'",
            (unsigned long long)c->id);
}

/* Draws one client's row at vertical offset y. */
static void draw_client(FILE *o, const client_t *c, double y) {
    double x = LEFT;
    char size[16];
    draw_label(o, c, y);
    for (unsigned i = 0; i < c->nregions; i++) {
        const region_t *r = &c->regions[i];
        uint64_t gap = i > 0 ? r->base - (c->regions[i - 1].base + c->regions[i - 1].len) : 0;
        if (gap > 0) {
            human(gap, size, sizeof(size));
            fprintf(o,
                    "<text x='%.1f' y='%.1f' font-size='9' fill='#888' text-anchor='middle'>"
                    "&#8776;%s</text>\n",
                    x + GAP_W / 2, y + BAR_Y + BAR_H / 2 + 3, size);
            x += GAP_W;
        }
        double w = region_width(r->len);
        bool lazy = !strcmp(r->kind, "lazy");
        fprintf(o,
                "<rect x='%.1f' y='%.1f' width='%.1f' height='%.0f' fill='%s' "
                "fill-opacity='%s' stroke='%s' stroke-dasharray='%s'><title>%#llx + %#llx %s %s"
                "</title></rect>\n",
                x, y + BAR_Y, w, BAR_H, perm_colour(r->perm), lazy ? "0.35" : "0.9",
                !strcmp(r->kind, "shared") ? "#7d3c98" : "#333", lazy ? "3,2" : "none",
                (unsigned long long)r->base, (unsigned long long)r->len, r->perm, r->kind);
        human(r->len, size, sizeof(size));
        fprintf(o, "<text x='%.1f' y='%.1f' font-size='9'>%s %s</text>\n", x + 3, y + BAR_Y + 12,
                r->perm, r->kind);
        fprintf(o, "<text x='%.1f' y='%.1f' font-size='9'>%s</text>\n", x + 3, y + BAR_Y + 25,
                size);
        fprintf(o, "<text x='%.1f' y='%.1f' font-size='8' fill='#555'>%#llx</text>\n", x,
                y + BAR_Y - 4, (unsigned long long)r->base);
        draw_backing(o, c, r, x, y + BAR_Y, w);
        x += w;
    }
    fprintf(o, "<text x='%.1f' y='%.1f' font-size='10'>tables:", x + 16, y + BAR_Y + 12);
    for (int l = MAX_LEVELS - 1; l >= 0; l--) {
        if (c->tables[l]) {
            fprintf(o, " L%d&#215;%llu", l, (unsigned long long)c->tables[l]);
        }
    }
    fprintf(o, "</text>\n<text x='%.1f' y='%.1f' font-size='10'>frames %llu / quota %llu</text>\n",
            x + 16, y + BAR_Y + 26, (unsigned long long)c->charge, (unsigned long long)c->quota);
}

/* The width draw_client will need for c's row. */
static double row_width(const client_t *c) {
    double x = LEFT;
    for (unsigned i = 0; i < c->nregions; i++) {
        const region_t *r = &c->regions[i];
        bool gap = i > 0 && r->base != c->regions[i - 1].base + c->regions[i - 1].len;
        x += (gap ? GAP_W : 0) + region_width(r->len);
    }
    return x + 200;
}

/* Writes the whole picture. */
static void draw(FILE *o) {
    double width = 600, height = 60 + ROW_H * nclients + 40;
    for (unsigned i = 0; i < nclients; i++) {
        double w = row_width(&clients[i]);
        width = w > width ? w : width;
    }
    fprintf(o,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
            "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            width, height);
    fprintf(o, "<text x='8' y='20' font-size='15' font-weight='bold'>Address spaces built by "
               "mmserver</text>\n<text x='8' y='38' font-size='10' fill='#555'>regions in address "
               "order, width ~ log2(size), &#8776; = unmapped gap; green rw-, orange r-x, blue "
               "r--; dashed = reserved (lazy); strip below = backed pages, purple = 2M/1G "
               "leaves</text>\n");
    for (unsigned i = 0; i < nclients; i++) {
        draw_client(o, &clients[i], 50 + ROW_H * i);
    }
    fprintf(o, "</svg>\n");
}

int main(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
        } else {
            in = argv[i];
        }
    }
    FILE *fi = in ? fopen(in, "r") : stdin;
    if (!fi) {
        perror(in);
        return 1;
    }
    char line[1024];
    while (fgets(line, sizeof(line), fi)) {
        const char *m = strstr(line, "mmdump ");
        if (m) {
            take_line(m);
        }
    }
    if (nclients == 0) {
        fprintf(stderr, "mmviz: no mmdump lines in %s\n", in ? in : "stdin");
        return 1;
    }
    FILE *fo = out ? fopen(out, "w") : stdout;
    if (!fo) {
        perror(out);
        return 1;
    }
    draw(fo);
    return fclose(fo) == 0 ? 0 : 1;
}
