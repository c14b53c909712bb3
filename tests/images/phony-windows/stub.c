/* A do-nothing PE program.  The phony Windows guests use it as
 * Windows/System32/cmd.exe (libguestfs inspection reads the guest's
 * architecture from that file's PE header) and, built as an EFI
 * application, as EFI/Microsoft/Boot/bootmgfw.efi.  Never run.
 */
int
start (void)
{
  return 0;
}
