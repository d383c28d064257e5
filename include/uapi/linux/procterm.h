/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * procterm: terminate processes from the kernel, by PID, by PID-reuse-safe
 * handle or by task_struct address; immediately or deferred until the
 * target next runs; one process or a whole tree.
 *
 * This header is the netlink contract between procterm.ko and its users.
 * The authoritative description is docs/netlink/procterm.yaml.
 *
 * Generic netlink family "procterm", version 1. All attributes share one
 * attribute space (enum procterm_attr); each command has its own strict
 * policy and rejects attributes it does not use.
 *
 * PROCTERM_CMD_KILL (doit)
 *   Request, exactly one target:
 *     PROCTERM_A_PID          u32  PID in the caller's PID namespace
 *     PROCTERM_A_START_TIME   u64  optional with PID: makes a handle; the
 *                                  start time in clock ticks after boot,
 *                                  field 22 of /proc/PID/stat
 *     PROCTERM_A_TASK_ADDR    u64  address of the thread-group leader's
 *                                  task_struct (CAP_SYS_ADMIN in the
 *                                  initial user namespace)
 *   Optional:
 *     PROCTERM_A_EXIT_STATUS  u32  exit status; the parent's waitpid() sees
 *                                  WIFEXITED with (status & 0xff). Absent:
 *                                  WIFSIGNALED with SIGKILL.
 *     PROCTERM_A_FLAGS        u32  PROCTERM_F_*
 *   Reply (at once):
 *     PROCTERM_A_PID, PROCTERM_A_START_TIME  the target as resolved
 *     PROCTERM_A_EXIT_STATUS  the status requested (echo, full 32 bits)
 *     PROCTERM_A_COUNT        processes terminated (1, or the tree size)
 *     PROCTERM_A_REQUEST_ID   with PROCTERM_F_DEFERRED: the armed request;
 *                             an immediate PROCTERM_F_TREE kill: the id
 *                             its members' events carry
 *   With PROCTERM_F_WAIT, a second PROCTERM_CMD_KILL message with the
 *   request's sequence number follows when every thread of the process
 *   (the tree's root, for a tree kill) has exited; it may arrive before or
 *   after the reply and the ack:
 *     PROCTERM_A_PID, PROCTERM_A_START_TIME
 *     PROCTERM_A_WAIT_STATUS  the final status in waitpid() encoding
 *   The requester applies its own timeout; the kernel keeps no request
 *   blocked. PROCTERM_A_TIMEOUT_MS is reserved and rejected.
 *
 *   Graceful, then forced (not with PROCTERM_F_DEFERRED):
 *     PROCTERM_A_GRACE_MS     u32  1..PROCTERM_GRACE_MAX_MS: send the first
 *                                  signal now; SIGKILL (with the exit
 *                                  status, if any) whatever is still alive
 *                                  after this many milliseconds. With
 *                                  PROCTERM_F_TREE: every member, and every
 *                                  process a member creates meanwhile.
 *     PROCTERM_A_SIGNAL       u32  the first signal, 1.._NSIG as kill(2)
 *                                  takes it (x86: 1..64, SIGRTMAX included)
 *                                  except SIGKILL and SIGSTOP; default
 *                                  SIGTERM. Only with PROCTERM_A_GRACE_MS.
 *   The first signal is judged as kill(2) judges it, now; the deadline
 *   SIGKILL again at the deadline, with the requester's credentials of the
 *   request. The reply carries PROCTERM_A_REQUEST_ID (listed by
 *   PROCTERM_CMD_PENDING, cancelled by PROCTERM_CMD_CANCEL) and
 *   PROCTERM_A_COUNT (processes sent the first signal). With
 *   PROCTERM_F_WAIT the wait message also carries PROCTERM_A_STAGE: TERM
 *   (ended during the grace period) or KILL (killed at the deadline), both
 *   with PROCTERM_A_WAIT_STATUS; or, without a wait status, REFUSED (the
 *   deadline SIGKILL was refused; the process lives) or CANCELLED.
 *
 *   By selectors instead of a target (no PID, START_TIME or TASK_ADDR):
 *     PROCTERM_A_SELECT       nest  at least one of (all must hold):
 *       PROCTERM_SEL_NAME          string  comm, exact
 *       PROCTERM_SEL_NAME_PREFIX   string  comm starts with it (not with NAME)
 *       PROCTERM_SEL_UID           u32     effective uid, caller's user ns
 *       PROCTERM_SEL_RSS_ABOVE     u64     resident set above this (bytes,
 *                                          not 0: ERANGE)
 *       PROCTERM_SEL_OLDER_THAN_NS u64     started more than this long ago
 *                                          (CLOCK_BOOTTIME; not 0: ERANGE)
 *       PROCTERM_SEL_CGROUP        string  cgroup v2 path: in it or below
 *     and optionally PROCTERM_SEL_PICK u32 (enum procterm_pick): only the
 *     oldest, newest or largest match.
 *     PROCTERM_A_FLAGS: PROCTERM_F_DRY_RUN (judge, kill nothing),
 *     PROCTERM_F_STRICT (one match refused: nothing is killed, EPERM);
 *     not PROCTERM_F_WAIT, _DEFERRED or _TREE, nor PROCTERM_A_GRACE_MS.
 *     PROCTERM_A_EXIT_STATUS applies to every process killed.
 *   The kernel selects at the moment of the kill, among the processes in
 *   the caller's PID namespace that kill(2)'s credential rule lets it
 *   signal (a real or effective uid that is the process's real or saved
 *   uid, or CAP_KILL in its user namespace): the others are not seen at
 *   all, neither matched, counted, listed nor picked. Never selected, and
 *   counted in PROCTERM_A_SKIPPED_PROTECTED when they match: the init (PID
 *   1) of every PID namespace, kernel threads, the caller's own process
 *   and every ancestor of it. Each match is then judged by kill(2) (signal
 *   0: the LSM); refused ones are counted in PROCTERM_A_DENIED. Name, uid,
 *   age and cgroup are judged again right before each kill: one no longer
 *   matching is skipped.
 *   Reply:
 *     PROCTERM_A_PROC         nest, repeated: one per process killed (dry
 *                             run: that would be), in PID-namespace walk
 *                             order, each with PROCTERM_A_PID,
 *                             PROCTERM_A_START_TIME, PROCTERM_A_COMM,
 *                             PROCTERM_A_UID (effective), PROCTERM_A_RSS
 *                             (bytes); a match the LSM refused is
 *                             listed too, with PROCTERM_A_PID and
 *                             PROCTERM_A_DENIED (u32, 1) only: not killed.
 *                             At most max_select (<= 1024) entries: under
 *                             96 KiB, which with its ACK fits a default
 *                             receive buffer (rmem_default); a client that
 *                             sets a smaller SO_RCVBUF (libnl: 32 KiB)
 *                             should raise it to 256 KiB.
 *     PROCTERM_A_COUNT        processes killed (dry run: 0)
 *     PROCTERM_A_MATCHED      matches selected and permitted
 *     PROCTERM_A_SKIPPED_PROTECTED, PROCTERM_A_DENIED
 *     PROCTERM_A_EXIT_STATUS  echo, as above
 *   No match is not an error: COUNT 0. A dry run may come with an empty
 *   PROCTERM_A_SELECT: every match listed, denied ones by PID only. A dry
 *   run with PROCTERM_F_STRICT lists and flags the denied ones instead of
 *   failing. With PROCTERM_F_STRICT, a SIGKILL an LSM refuses after signal
 *   0 was permitted fails the request with EPERM, "N of M killed" in the
 *   extack; the others were killed, and the reply, sent before the ACK,
 *   lists them and the refused ones.
 *
 * PROCTERM_CMD_LIST (dumpit; doit with PROCTERM_A_PID for one process)
 *   One message per process visible in the caller's PID namespace:
 *     PROCTERM_A_PID, PROCTERM_A_PPID, PROCTERM_A_START_TIME,
 *     PROCTERM_A_TASK_ADDR (0 unless the caller may see kernel addresses),
 *     PROCTERM_A_STATE (u8, one of "RSDTtXZPI", as /proc shows), PROCTERM_A_THREADS,
 *     PROCTERM_A_UID (effective, in the caller's user namespace), PROCTERM_A_COMM
 *
 * PROCTERM_CMD_PENDING (dumpit)
 *   One message per armed deferred request the caller may see:
 *     PROCTERM_A_REQUEST_ID, PROCTERM_A_PID, PROCTERM_A_START_TIME,
 *     PROCTERM_A_EXIT_STATUS (absent: SIGKILL), PROCTERM_A_FLAGS,
 *     PROCTERM_A_ARMED_NS (CLOCK_BOOTTIME, ns), PROCTERM_A_REQUESTER_UID
 *   and one per armed grace kill, with PROCTERM_A_GRACE_MS and
 *   PROCTERM_A_SIGNAL added (PROCTERM_A_FLAGS: PROCTERM_F_TREE or 0)
 *
 * PROCTERM_CMD_CANCEL (doit)
 *     PROCTERM_A_REQUEST_ID   the request to disarm (deferred or grace);
 *                             a grace kill whose deadline has come is no
 *                             longer pending: ENOENT
 *
 * PROCTERM_CMD_EVENT (multicast group "events", never a request)
 *   Joining the group needs CAP_NET_ADMIN in the initial user namespace;
 *   events are multicast in the initial network namespace only. One
 *   message per process that procterm terminated, once it is dead:
 *     PROCTERM_A_EVENT_SEQ    u64  one more per event, in send order;
 *                                  the first one received is a baseline
 *                                  (numbers go on while nobody listens).
 *                                  A number skipped after it is an event
 *                                  lost (a record that could not be kept,
 *                                  a send that failed, a receive buffer
 *                                  overflow), seen at the next message.
 *                                  Restarts at 1 on module reload.
 *     PROCTERM_A_PID, PROCTERM_A_START_TIME, PROCTERM_A_COMM,
 *     PROCTERM_A_UID          the process: PID in the initial PID
 *                             namespace, start time in the initial time
 *                             namespace, real uid in the initial user
 *                             namespace, comm when it was killed
 *     PROCTERM_A_REQUESTER_PID, PROCTERM_A_REQUESTER_UID,
 *     PROCTERM_A_REQUESTER_COMM  who asked (initial namespaces; for a
 *                             deferred kill, who armed it)
 *     PROCTERM_A_EVENT_MODE   enum procterm_event_mode
 *     PROCTERM_A_FLAGS        the request's PROCTERM_F_* flags
 *     PROCTERM_A_REQUEST_ID   deferred, tree and grace kills: the request (all
 *                             members of one tree carry the same id)
 *     PROCTERM_A_STAGE        enum procterm_stage: TERM (a grace kill's
 *                             process that ended during the grace period)
 *                             or KILL (procterm's SIGKILL)
 *     PROCTERM_A_WAIT_STATUS  the final status, waitpid() encoding
 *     PROCTERM_A_ELAPSED_NS   u64  from the request (for a deferred kill:
 *                             from arming) to the death, nanoseconds
 *     PROCTERM_A_RULE_ID      u32  PROCTERM_EVENT_MODE_RULE: the exec rule
 *                             that fired (see PROCTERM_CMD_RULE_ADD)
 *   Sent to a request it is EOPNOTSUPP.
 *
 * PROCTERM_CMD_RULE_ADD (doit), PROCTERM_CMD_RULE_DEL (doit),
 * PROCTERM_CMD_RULE_LIST (dumpit), PROCTERM_CMD_RULE_FLUSH (doit)
 *   Exec rules: a process whose exec matches every condition of a rule dies
 *   after the exec's point of no return and before the new image's first
 *   user instruction, and its parent's waitpid() sees the rule's status.
 *   All four need CAP_SYS_ADMIN in the initial user namespace (EPERM).
 *   RULE_ADD, at least one condition (all must hold):
 *     PROCTERM_A_RULE_COMM         string  the new image's comm, exact
 *                                          (1..15 bytes)
 *     PROCTERM_A_RULE_PATH         string  the executable as the exec'ing
 *                                          process's root sees it (d_path
 *                                          of the new mm's exe_file,
 *                                          symlinks resolved), exact;
 *                                          absolute
 *     PROCTERM_A_RULE_UID          u32     the real uid after the exec
 *     PROCTERM_A_RULE_PARENT_COMM  string  the comm of the parent process
 *     PROCTERM_A_RULE_CGROUP       string  a cgroup v2 path, as the
 *                                          requester's /proc/self/cgroup
 *                                          writes it: that cgroup and its
 *                                          descendants (ENOENT if absent)
 *   and what a match does:
 *     PROCTERM_A_EXIT_STATUS       u32     the status (absent: SIGKILL)
 *     PROCTERM_A_RULE_COUNT        u32     fire this many times, then
 *                                          expire (absent: never expires)
 *     PROCTERM_A_RULE_FLAGS        u32     PROCTERM_RULE_F_AUDIT: kill
 *                                          nothing, only count and report
 *                                          (not with PROCTERM_A_EXIT_STATUS)
 *   Reply: PROCTERM_A_RULE_ID (from 1, never reused while loaded).
 *   RULE_DEL: PROCTERM_A_RULE_ID (ENOENT: no such rule).
 *   RULE_LIST: one message per rule, in id order: PROCTERM_A_RULE_ID, its
 *   conditions and PROCTERM_A_EXIT_STATUS as added, PROCTERM_A_RULE_COUNT
 *   (firings left; absent: unlimited), PROCTERM_A_RULE_FIRED,
 *   PROCTERM_A_RULE_FLAGS.
 *   RULE_FLUSH: every rule removed; reply PROCTERM_A_COUNT (how many).
 *   Every firing is an event (PROCTERM_EVENT_MODE_RULE, with
 *   PROCTERM_A_RULE_ID; PROCTERM_A_REQUEST_ID absent; the requester is who
 *   added the rule): a kill once the process is dead, an audit firing at
 *   once, with PROCTERM_A_STAGE NONE and no PROCTERM_A_WAIT_STATUS or
 *   PROCTERM_A_ELAPSED_NS (the process lives on).
 *
 * Errors (negative errno in the ack, with an extended-ack message):
 *   ESRCH      no such process (unknown PID or address, stale handle,
 *              outside the caller's PID namespace)
 *   EPERM      access denied (kill(2) rules for SIGKILL; PID 1; address
 *              requests without CAP_SYS_ADMIN and CAP_SYSLOG); for a tree
 *              kill after its check pass: a security module refused some
 *              members' SIGKILL, those live, the others were killed, and
 *              the message says how many; for a grace tree kill: a
 *              security module refused some members' first signal, the
 *              others got it, nothing was armed, and the message says how
 *              many
 *   ENOTTY     not a process: a thread that is not a thread-group leader,
 *              or a kernel thread
 *   EALREADY   the process is already terminating or has exited, or a
 *              deferred request is already armed for it (a single request:
 *              a single or tree one; a tree request: a tree one)
 *   ENOENT     PROCTERM_CMD_CANCEL: no such request; PROCTERM_CMD_RULE_DEL:
 *              no such rule; PROCTERM_CMD_RULE_ADD: no such cgroup
 *   ENOSPC     PROCTERM_CMD_RULE_ADD: the rule table is full (module
 *              parameter max_rules, for all users together)
 *   EDQUOT     a per-requester limit was reached: armed deferred requests,
 *              queued deferred works, waiters, armed grace kills or their
 *              tracking nodes (module parameters max_deferred, max_works,
 *              max_waiters, max_grace, max_grace_nodes;
 *              the message names it)
 *   EAGAIN     the target kept creating threads or processes faster than
 *              arming could count them, or (selectors) the requester's
 *              own ancestry kept changing; nothing was done
 *   ENOBUFS    selectors, in the ACK: the reply did not fit the receive
 *              buffer and nothing was killed. On recv() instead (the
 *              socket overran, and the ACK may be lost with the reply):
 *              the outcome is unknown; set NETLINK_NO_ENOBUFS to get the
 *              ACK, and read pending messages before a request
 *   ENODEV     the module is being unloaded
 *   EINVAL     malformed request (also: a rule without a condition, an
 *              audit rule with an exit status, PROCTERM_A_SIGNAL without
 *              PROCTERM_A_GRACE_MS, SIGKILL or SIGSTOP as the first signal,
 *              PROCTERM_A_GRACE_MS with PROCTERM_F_DEFERRED)
 *   ERANGE     a value outside its range (a PID of 0 or above
 *              PID_MAX_LIMIT, a request id, rule id or rule count of 0)
 *   E2BIG      selectors: more matches than the module parameter
 *              max_select (without a pick); nothing was killed
 *   EPERM      (also) selectors with PROCTERM_F_STRICT: the LSM refuses a
 *              match signal 0; nothing was killed, the message names the
 *              first refused PID. Or, after a SIGKILL refusal, some were:
 *              the reply before the ACK lists them
 *   ENOENT     (also) selectors: no such cgroup
 *   EINVAL     (also) selectors: an empty PROCTERM_A_SELECT, a selector
 *              besides a target, NAME with NAME_PREFIX, an empty string,
 *              a relative cgroup path, F_WAIT/F_DEFERRED/F_TREE/grace with
 *              selectors, F_DRY_RUN or F_STRICT without them
 *   ERANGE     (also) PROCTERM_SEL_PICK outside enum procterm_pick, an
 *              RSS_ABOVE or OLDER_THAN_NS of 0
 *   EOPNOTSUPP the running kernel lacks what the request needs
 *   ENOMEM     out of memory; nothing was done
 */
#ifndef _UAPI_LINUX_PROCTERM_H
#define _UAPI_LINUX_PROCTERM_H

#define PROCTERM_GENL_NAME	"procterm"
#define PROCTERM_GENL_VERSION	1

/* Longest PROCTERM_A_COMM, including the terminating NUL (TASK_COMM_LEN). */
#define PROCTERM_COMM_LEN	16

enum procterm_cmd {
	PROCTERM_CMD_UNSPEC,
	PROCTERM_CMD_KILL,
	PROCTERM_CMD_LIST,
	PROCTERM_CMD_PENDING,
	PROCTERM_CMD_CANCEL,
	PROCTERM_CMD_EVENT,		/* notification only, never a request */
	PROCTERM_CMD_RULE_ADD,
	PROCTERM_CMD_RULE_DEL,
	PROCTERM_CMD_RULE_LIST,
	PROCTERM_CMD_RULE_FLUSH,

	__PROCTERM_CMD_MAX,
};

#define PROCTERM_CMD_MAX (__PROCTERM_CMD_MAX - 1)

enum procterm_kill_flags {
	PROCTERM_F_WAIT		= 1U << 0,	/* return when the process is dead */
	PROCTERM_F_DEFERRED	= 1U << 1,	/* die the next time it runs */
	PROCTERM_F_TREE		= 1U << 2,	/* the process and all descendants */
	PROCTERM_F_DRY_RUN	= 1U << 3,	/* selectors: list, kill nothing */
	PROCTERM_F_STRICT	= 1U << 4,	/* selectors: all or nothing */

	__PROCTERM_F_ALL	= PROCTERM_F_WAIT | PROCTERM_F_DEFERRED |
				  PROCTERM_F_TREE | PROCTERM_F_DRY_RUN |
				  PROCTERM_F_STRICT,
};

/* The multicast group of PROCTERM_CMD_EVENT. */
#define PROCTERM_MCGRP_EVENTS	"events"

/* How a termination was requested (PROCTERM_A_EVENT_MODE). */
enum procterm_event_mode {
	PROCTERM_EVENT_MODE_IMMEDIATE	= 1,	/* a kill, at once */
	PROCTERM_EVENT_MODE_DEFERRED	= 2,	/* a deferred kill that fired */
	PROCTERM_EVENT_MODE_TREE	= 3,	/* a member of a tree kill */
	PROCTERM_EVENT_MODE_GRACE	= 4,	/* a grace kill (tree or not) */
	PROCTERM_EVENT_MODE_RULE	= 5,	/* an exec rule fired */
};

/* What an exec rule does when it matches (PROCTERM_A_RULE_FLAGS). */
enum procterm_rule_flags {
	PROCTERM_RULE_F_AUDIT	= 1U << 0,	/* report only, kill nothing */

	__PROCTERM_RULE_F_ALL	= PROCTERM_RULE_F_AUDIT,
};

/* Longest PROCTERM_A_RULE_PATH and PROCTERM_A_RULE_CGROUP, NUL included. */
#define PROCTERM_RULE_PATH_LEN	4096

enum procterm_attr {
	PROCTERM_A_UNSPEC,
	PROCTERM_A_PID,			/* u32 */
	PROCTERM_A_START_TIME,		/* u64, clock ticks after boot */
	PROCTERM_A_TASK_ADDR,		/* u64 */
	PROCTERM_A_EXIT_STATUS,		/* u32 */
	PROCTERM_A_FLAGS,		/* u32, enum procterm_kill_flags */
	PROCTERM_A_TIMEOUT_MS,		/* reserved */
	PROCTERM_A_WAIT_STATUS,		/* u32, waitpid() encoding */
	PROCTERM_A_COUNT,		/* u32 */
	PROCTERM_A_REQUEST_ID,		/* u64 */
	PROCTERM_A_PPID,		/* u32 */
	PROCTERM_A_STATE,		/* u8 */
	PROCTERM_A_THREADS,		/* u32 */
	PROCTERM_A_UID,			/* u32 */
	PROCTERM_A_COMM,		/* string */
	PROCTERM_A_ARMED_NS,		/* u64, CLOCK_BOOTTIME */
	PROCTERM_A_REQUESTER_UID,	/* u32 */
	PROCTERM_A_PAD,
	PROCTERM_A_EVENT_SEQ,		/* u64 */
	PROCTERM_A_EVENT_MODE,		/* u32, enum procterm_event_mode */
	PROCTERM_A_STAGE,		/* u32, enum procterm_stage */
	PROCTERM_A_REQUESTER_PID,	/* u32 */
	PROCTERM_A_REQUESTER_COMM,	/* string */
	PROCTERM_A_ELAPSED_NS,		/* u64 */
	PROCTERM_A_GRACE_MS,		/* u32, 1..PROCTERM_GRACE_MAX_MS */
	PROCTERM_A_SIGNAL,		/* u32, the first signal of a grace kill */
	PROCTERM_A_RULE_ID,		/* u32, an exec rule */
	PROCTERM_A_RULE_COMM,		/* string, condition: the new comm */
	PROCTERM_A_RULE_PATH,		/* string, condition: the executable */
	PROCTERM_A_RULE_UID,		/* u32, condition: the real uid */
	PROCTERM_A_RULE_PARENT_COMM,	/* string, condition: the parent's comm */
	PROCTERM_A_RULE_CGROUP,		/* string, condition: a cgroup v2 path */
	PROCTERM_A_RULE_COUNT,		/* u32, firings left before it expires */
	PROCTERM_A_RULE_FIRED,		/* u64, firings so far */
	PROCTERM_A_RULE_FLAGS,		/* u32, enum procterm_rule_flags */
	PROCTERM_A_SELECT,		/* nest, enum procterm_select_attr */
	PROCTERM_A_PROC,		/* nest, one selected process (repeated) */
	PROCTERM_A_RSS,			/* u64, resident set size in bytes */
	PROCTERM_A_SKIPPED_PROTECTED,	/* u32, matches never selected */
	PROCTERM_A_DENIED,		/* u32, LSM refusals; in a PROC nest: 1 */
	PROCTERM_A_MATCHED,		/* u32, matches selected for the kill */

	__PROCTERM_A_MAX,
};

#define PROCTERM_A_MAX (__PROCTERM_A_MAX - 1)

/*
 * The selectors of a PROCTERM_CMD_KILL by PROCTERM_A_SELECT (their own
 * attribute space, inside the nest). Every one given must hold.
 */
enum procterm_select_attr {
	PROCTERM_SEL_UNSPEC,
	PROCTERM_SEL_NAME,		/* string, the comm, exact (1..15 bytes) */
	PROCTERM_SEL_NAME_PREFIX,	/* string, the comm starts with it */
	PROCTERM_SEL_UID,		/* u32, the effective uid */
	PROCTERM_SEL_RSS_ABOVE,		/* u64, resident set size > bytes (> 0) */
	PROCTERM_SEL_OLDER_THAN_NS,	/* u64, started longer ago than this (> 0) */
	PROCTERM_SEL_CGROUP,		/* string, a cgroup v2 path: in it or below */
	PROCTERM_SEL_PICK,		/* u32, enum procterm_pick */

	__PROCTERM_SEL_MAX,
};

#define PROCTERM_SEL_MAX (__PROCTERM_SEL_MAX - 1)

/* Which of the matches PROCTERM_SEL_PICK keeps. */
enum procterm_pick {
	PROCTERM_PICK_ALL,		/* every match (the default) */
	PROCTERM_PICK_OLDEST,		/* the one started first */
	PROCTERM_PICK_NEWEST,		/* the one started last */
	PROCTERM_PICK_LARGEST,		/* the largest resident set */

	__PROCTERM_PICK_MAX,
};

/* Longest grace period of a PROCTERM_A_GRACE_MS kill: 24 hours. */
#define PROCTERM_GRACE_MAX_MS	86400000U

/*
 * Which stage ended a process (PROCTERM_A_STAGE), in an event and in a grace
 * kill's wait message. An event carries TERM or KILL only.
 */
enum procterm_stage {
	PROCTERM_STAGE_NONE,
	PROCTERM_STAGE_TERM,		/* ended during the grace period */
	PROCTERM_STAGE_KILL,		/* by procterm's SIGKILL */
	PROCTERM_STAGE_REFUSED,		/* the deadline SIGKILL was refused */
	PROCTERM_STAGE_CANCELLED,	/* cancelled during the grace period */

	__PROCTERM_STAGE_MAX,
};

/* The events group's first names for the stage, kept for its listeners. */
#define PROCTERM_A_EVENT_STAGE		PROCTERM_A_STAGE
#define PROCTERM_EVENT_STAGE_TERM	PROCTERM_STAGE_TERM
#define PROCTERM_EVENT_STAGE_KILL	PROCTERM_STAGE_KILL

#endif /* _UAPI_LINUX_PROCTERM_H */
