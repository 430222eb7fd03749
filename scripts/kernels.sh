# Sourced by the scripts that boot guests: the guest kernels installed here.
#   installed_kernels   every /boot/vmlinuz-<version> with matching headers, oldest first
#   guest_kernel        $KVER if set, else the newest installed kernel
# (tests/src/lib.rs orders versions the same way: as versions, not as text.)
installed_kernels() {
    local image version
    for image in /boot/vmlinuz-*; do
        version=${image#/boot/vmlinuz-}
        [ -d "/usr/src/linux-headers-$version" ] && echo "$version"
    done | sort -V
}
guest_kernel() {
    if [ -n "${KVER:-}" ]; then echo "$KVER"; else installed_kernels | tail -n 1; fi
}
