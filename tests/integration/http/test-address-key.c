/* integration-http-address-key: the address a per-address connection limit
 * counts against (signaling/conn_limits.h). The daemon listens on IPv4 today
 * (lws's IPv6 is off), so this table checks the IPv6 rules directly: one /64
 * is one address, an IPv4-mapped address is its IPv4 address. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "conn_limits.h"

static char *key_of(const char *text)
{
    struct sockaddr_storage ss = {0};
    if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else {
        g_assert_cmpint(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), ==, 1);
        ss.ss_family = AF_INET6;
    }
    return cg_conn_limits_key((struct sockaddr *)&ss);
}

static void test_keys(void)
{
    static const struct {
        const char *address, *key;
    } table[] = {
        {"127.0.0.1", "127.0.0.1"},
        {"203.0.113.7", "203.0.113.7"},
        {"::ffff:203.0.113.7", "203.0.113.7"},
        {"2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"},
        {"2001:db8:1:2::1", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(table); i++) {
        g_autofree char *key = key_of(table[i].address);
        g_assert_cmpstr(key, ==, table[i].key);
    }
    struct sockaddr unix_addr = {.sa_family = AF_UNIX};
    g_assert_null(cg_conn_limits_key(&unix_addr));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/http/address-key", test_keys);
    return g_test_run();
}
