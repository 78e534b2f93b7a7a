/* logcat — placeholder so the build has a tool; replaced by the real one. */
#include "err.h"

int
main(int argc, char *argv[])
{
	(void)argc;
	ex_setprog(argv[0]);
	ex_diex(1, "not implemented yet");
}
