/* replay.c — runs a fuzz target over committed corpus files without
 * libFuzzer, so every normal (and sanitizer) build replays the corpus and
 * every past crash reproducer.
 *
 * Usage: fuzz-replay-X PATH...   (files, or directories read one level deep)
 * Exits non-zero if a path cannot be read or nothing was replayed; a crash in
 * the target aborts the process. */
#include "fuzz.h"

#include <glib.h>
#include <stdio.h>

static gboolean replay_file(const char *path, guint *count)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) error = NULL;
    if (!g_file_get_contents(path, &data, &len, &error)) {
        fprintf(stderr, "replay: %s\n", error->message);
        return FALSE;
    }
    /* Copy to an exact-size buffer so sanitizers see any over-read. */
    g_autofree guint8 *exact = g_memdup2(data, len);
    LLVMFuzzerTestOneInput(exact, len);
    (*count)++;
    return TRUE;
}

static int compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static gboolean replay_dir(const char *dir, guint *count)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
    if (d == NULL) {
        fprintf(stderr, "replay: %s\n", error->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(names, compare_paths); /* deterministic order */
    gboolean ok = TRUE;
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            ok = replay_file(path, count) && ok;
    }
    return ok;
}

int main(int argc, char **argv)
{
    guint count = 0;
    gboolean ok = TRUE;
    for (int i = 1; i < argc; i++) {
        if (g_file_test(argv[i], G_FILE_TEST_IS_DIR))
            ok = replay_dir(argv[i], &count) && ok;
        else
            ok = replay_file(argv[i], &count) && ok;
    }
    printf("replayed %u input(s)\n", count);
    return ok && count > 0 ? 0 : 1;
}
