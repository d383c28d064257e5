// SPDX-License-Identifier: GPL-2.0
/*
 * The program exec rules are tested on (rule_test, cli_rule_test.sh): its
 * first act is to create the file argv[1] names. Built static, so no
 * dynamic loader runs before it: if the file does not exist after the
 * exec, main() never ran. Exits 0 when the file was created, 2 if not.
 */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char *argv[])
{
	int fd;

	if (argc < 2)
		return 2;
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 2;
	close(fd);
	return 0;
}
