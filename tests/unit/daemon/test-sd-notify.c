/* test-sd-notify.c — daemon/sd_notify against a NOTIFY_SOCKET the test binds:
 * READY/STOPPING/STATUS arrive; watchdog pings arrive only while the main
 * context runs; nothing happens outside systemd. */
#include "sd_notify.h"
#include "test-daemon-util.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
    char *dir;
    char *path;
    int fd;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
    (void)data;
    f->dir = cg_test_make_tmpdir();
    f->path = g_build_filename(f->dir, "notify.sock", NULL);
    f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(f->fd, >=, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_assert_cmpuint(strlen(f->path), <, sizeof addr.sun_path);
    strcpy(addr.sun_path, f->path);
    g_assert_cmpint(bind(f->fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
    g_setenv("NOTIFY_SOCKET", f->path, TRUE);
    g_unsetenv("WATCHDOG_USEC");
    g_unsetenv("WATCHDOG_PID");
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    cg_notify_watchdog_stop();
    g_unsetenv("NOTIFY_SOCKET");
    g_unsetenv("WATCHDOG_USEC");
    g_unsetenv("WATCHDOG_PID");
    close(f->fd);
    cg_test_rm_rf(f->dir);
    g_free(f->path);
    g_free(f->dir);
}

/* Waits up to @timeout_ms for one datagram; returns it (transfer full) or NULL. */
static char *recv_message(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r <= 0)
        return NULL;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    g_assert_cmpint(n, >=, 0);
    return g_strndup(buf, (gsize)n);
}

static gboolean has_line(const char *msg, const char *line)
{
    g_auto(GStrv) lines = g_strsplit(msg, "\n", -1);
    return g_strv_contains((const char *const *)lines, line);
}

static void test_ready_stopping_status(Fixture *f, gconstpointer data)
{
    (void)data;
    g_assert_true(cg_notify_ready());
    g_autofree char *ready = recv_message(f->fd, 5000);
    g_assert_nonnull(ready);
    g_assert_true(has_line(ready, "READY=1"));

    g_assert_true(cg_notify_status("serving %u consults\non port %d", 3u, 8443));
    g_autofree char *status = recv_message(f->fd, 5000);
    g_assert_cmpstr(status, ==, "STATUS=serving 3 consults on port 8443");

    g_assert_true(cg_notify_stopping());
    g_autofree char *stopping = recv_message(f->fd, 5000);
    g_assert_nonnull(stopping);
    g_assert_true(has_line(stopping, "STOPPING=1"));
}

static void test_outside_systemd(Fixture *f, gconstpointer data)
{
    (void)data;
    g_unsetenv("NOTIFY_SOCKET");
    g_setenv("WATCHDOG_USEC", "200000", TRUE);
    g_assert_false(cg_notify_ready());
    g_assert_false(cg_notify_status("x"));
    g_assert_false(cg_notify_stopping());
    g_assert_cmpuint(cg_notify_watchdog_start(NULL), ==, 0);
    g_autofree char *msg = recv_message(f->fd, 0);
    g_assert_null(msg);
}

static void test_watchdog_pings(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *pid = g_strdup_printf("%d", (int)getpid());
    g_setenv("WATCHDOG_USEC", "200000", TRUE);
    g_setenv("WATCHDOG_PID", pid, TRUE);

    GMainContext *ctx = g_main_context_new();
    g_assert_cmpuint(cg_notify_watchdog_start(ctx), ==, 200000);

    /* A loop that does not run sends no pings, well past the 100 ms period. */
    g_autofree char *early = recv_message(f->fd, 300);
    g_assert_null(early);

    /* Running the loop delivers them. */
    guint pings = 0;
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (pings < 2 && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(ctx, TRUE);
        char *msg;
        while ((msg = recv_message(f->fd, 0)) != NULL) {
            g_assert_cmpstr(msg, ==, "WATCHDOG=1");
            pings++;
            g_free(msg);
        }
    }
    g_assert_cmpuint(pings, >=, 2);

    cg_notify_watchdog_stop();
    g_assert_false(g_main_context_pending(ctx));
    g_main_context_unref(ctx);
}

static void test_watchdog_other_pid(Fixture *f, gconstpointer data)
{
    (void)f;
    (void)data;
    /* WATCHDOG_PID names another process (our parent): not for us. */
    g_autofree char *pid = g_strdup_printf("%d", (int)getppid());
    g_setenv("WATCHDOG_USEC", "200000", TRUE);
    g_setenv("WATCHDOG_PID", pid, TRUE);
    g_assert_cmpuint(cg_notify_watchdog_start(NULL), ==, 0);

    g_unsetenv("WATCHDOG_USEC");
    g_unsetenv("WATCHDOG_PID");
    g_assert_cmpuint(cg_notify_watchdog_start(NULL), ==, 0);
}

void cg_test_add_notify_tests(void)
{
    g_test_add("/daemon/sd-notify/ready-stopping-status", Fixture, NULL, fixture_setup,
               test_ready_stopping_status, fixture_teardown);
    g_test_add("/daemon/sd-notify/outside-systemd", Fixture, NULL, fixture_setup,
               test_outside_systemd, fixture_teardown);
    g_test_add("/daemon/sd-notify/watchdog-pings", Fixture, NULL, fixture_setup,
               test_watchdog_pings, fixture_teardown);
    g_test_add("/daemon/sd-notify/watchdog-other-pid", Fixture, NULL, fixture_setup,
               test_watchdog_other_pid, fixture_teardown);
}
