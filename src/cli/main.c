// main.c: the fakeit program, a client of the library's API (include/
// fakeit.h): every command runs through fk_main (cli/program.c).
#include <fakeit.h>

int main(int argc, char **argv) { return fk_main(argc, argv); }
