/* lifecycle.h — the live side of a consult, once peers are in it: the
 * waiting room (who waits, the specialists' live waiting list, admission),
 * the specialist controls (admit, decline, remove, mute, unmute, end), the end
 * timer at starts_at + duration + grace, and the admin API's view of who is
 * connected. Its functions share the server's private state and are declared
 * in server-private.h; this header only names the module.
 *
 * A seat taken back after a dropped socket (seats.c) is told "joined" again
 * from here (cg_lifecycle_resumed), with the same participant and role.
 *
 * Every join, resume, refusal, admission, decline, removal, mute and end is
 * written to the audit log (audit.h). Main thread only.
 */
#pragma once

#include "server-private.h"
