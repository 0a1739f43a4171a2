/*
 * room_main.c - the program that does nothing, linked once per room by
 * "make rooms" so that a call across a forbidden arrow fails the build
 */
int
main(void)
{
	return 0;
}
