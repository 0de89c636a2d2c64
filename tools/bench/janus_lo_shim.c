/* janus_lo_shim.c — LD_PRELOAD shim for the Janus the bench starts.
 *
 * Janus never gathers ICE candidates on an interface flagged IFF_LOOPBACK,
 * but the bench keeps all media on 127.0.0.1. This shim clears that flag in
 * what getifaddrs() returns, so Janus's own ice_enforce_list = "127.0.0.1"
 * selects lo. Only the Janus process started by run-bench.sh loads it; the
 * host's network configuration is untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>

int getifaddrs(struct ifaddrs **ifap);

int getifaddrs(struct ifaddrs **ifap)
{
    int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    if (!real)
        return -1;
    int rc = real(ifap);
    if (rc == 0)
        for (struct ifaddrs *ifa = *ifap; ifa; ifa = ifa->ifa_next)
            ifa->ifa_flags &= ~(unsigned int)IFF_LOOPBACK;
    return rc;
}
