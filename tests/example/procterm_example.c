// SPDX-License-Identifier: GPL-2.0
/*
 * procterm_example: terminate processes through procterm's in-kernel API.
 *
 * A test fixture and a model for callers of include/linux/procterm_api.h.
 * Writing "PID [status=N] [deferred] [tree] [wait=MS]" to
 * /sys/kernel/debug/procterm_example/kill terminates the process PID (in
 * the writer's PID namespace) with procterm_kill_pid(); with wait=MS the
 * write returns once the process is dead, or after MS milliseconds. The
 * write fails with the API's errno. /sys/kernel/debug/procterm_example/last
 * then reads "ret=E count=C id=I wait_status=W msg=TEXT" (wait_status -1:
 * not waited for, or not dead in time).
 *
 * The file is root's (mode 0200): the API checks no permission, so this
 * module must not hand it to anyone the kernel would not let kill.
 *
 * Unload ordering: this module uses procterm's exported symbols, so the
 * module loader records procterm as its dependency and holds a reference
 * on procterm from this module's load to its unload; procterm cannot be
 * removed while the file exists. A waiter is released before the write
 * returns, so nothing of procterm's outlives a request here.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/procterm_api.h>

static struct dentry *pte_dir;
static DEFINE_MUTEX(pte_lock);
static char pte_last[160];	/* under pte_lock */

struct pte_req {
	pid_t nr;
	u32 flags;
	bool has_status;
	u32 status;
	bool wait;
	unsigned int wait_ms;
};

static int pte_parse(char *buf, struct pte_req *r)
{
	char *word;
	int ret;

	word = strsep(&buf, " \t\n");
	ret = kstrtoint(word, 10, &r->nr);
	if (ret || r->nr <= 0)
		return -EINVAL;
	while ((word = strsep(&buf, " \t\n"))) {
		if (!*word)
			continue;
		if (!strncmp(word, "status=", 7)) {
			if (kstrtou32(word + 7, 0, &r->status))
				return -EINVAL;
			r->has_status = true;
		} else if (!strncmp(word, "wait=", 5)) {
			if (kstrtouint(word + 5, 10, &r->wait_ms))
				return -EINVAL;
			r->wait = true;
		} else if (!strcmp(word, "deferred")) {
			r->flags |= PROCTERM_F_DEFERRED;
		} else if (!strcmp(word, "tree")) {
			r->flags |= PROCTERM_F_TREE;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static ssize_t pte_kill_write(struct file *file, const char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	struct procterm_kill k = {};
	struct pte_req r = {};
	int wait_status = -1;
	struct pid *pid;
	char *buf;
	int ret;

	/*
	 * debugfs checks the mode only at open(): an fd passed on to an
	 * unprivileged process must not kill as the kernel. The opener's
	 * credentials decide, as for a write to a sysctl.
	 */
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (len > 128)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	ret = pte_parse(buf, &r);
	kfree(buf);
	if (ret)
		return ret;

	pid = find_get_pid(r.nr);
	if (!pid)
		return -ESRCH;
	k.flags = r.flags | (r.wait ? PROCTERM_F_WAIT : 0);
	k.has_status = r.has_status;
	k.status = r.status;
	ret = procterm_kill_pid(pid, &k);
	put_pid(pid);

	if (!ret && k.waiter) {
		long left = procterm_wait(k.waiter, msecs_to_jiffies(r.wait_ms));

		/*
		 * The kill was sent: a signal that ends the wait must not
		 * restart this write (-ERESTARTSYS would look the PID up
		 * again, and it may have been reused by then).
		 */
		if (left > 0)
			wait_status = procterm_waiter_status(k.waiter);
		else if (left < 0)
			ret = -EINTR;
		procterm_waiter_put(k.waiter);
	}

	mutex_lock(&pte_lock);
	snprintf(pte_last, sizeof(pte_last), "ret=%d count=%u id=%llu wait_status=%d msg=%s\n",
		 ret, k.count, k.id, wait_status, k.msg);
	mutex_unlock(&pte_lock);
	return ret ? ret : len;
}

static ssize_t pte_last_read(struct file *file, char __user *ubuf, size_t len,
			     loff_t *ppos)
{
	char buf[sizeof(pte_last)];

	mutex_lock(&pte_lock);
	memcpy(buf, pte_last, sizeof(buf));
	mutex_unlock(&pte_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, strnlen(buf, sizeof(buf)));
}

static const struct file_operations pte_kill_fops = {
	.owner = THIS_MODULE,
	.write = pte_kill_write,
	.llseek = noop_llseek,
};

static const struct file_operations pte_last_fops = {
	.owner = THIS_MODULE,
	.read = pte_last_read,
	.llseek = default_llseek,
};

static int __init pte_init(void)
{
	pte_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(pte_dir))
		return PTR_ERR(pte_dir);
	debugfs_create_file("kill", 0200, pte_dir, NULL, &pte_kill_fops);
	debugfs_create_file("last", 0400, pte_dir, NULL, &pte_last_fops);
	return 0;
}

static void __exit pte_exit(void)
{
	/*
	 * Waits for writers still in pte_kill_write(): debugfs holds a
	 * reference on the file's dentry around each call of our fops.
	 */
	debugfs_remove(pte_dir);
}

module_init(pte_init);
module_exit(pte_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Terminate processes through procterm's in-kernel API (example, tests)");
MODULE_AUTHOR("The procterm developers");
