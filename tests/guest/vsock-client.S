# vsock-client CID PORT: a vsock stream client for the test guest's /init, as small static
# x86-64 Linux code (no libc, so no compiler is needed to build the initramfs). It connects to
# CID:PORT, copies standard input to the socket until end of file, shuts down its sending side,
# then copies the socket to standard output until the peer closes. Exit status: 0 done,
# 1 usage, 2 socket, 3 connect, 4 read stdin, 5 read socket, 6 write.
# Assembled into vsock-client.ts by:  as -o /tmp/v.o vsock-client.S && ld -s -n -static -o /tmp/v /tmp/v.o
        .globl _start
        .text
_start:
        mov     (%rsp), %rcx
        cmp     $3, %rcx
        jne     fail1
        mov     16(%rsp), %rdi
        call    atoi
        mov     %eax, addr+8(%rip)      # svm_cid
        mov     24(%rsp), %rdi
        call    atoi
        mov     %eax, addr+4(%rip)      # svm_port
        mov     $41, %eax               # socket(AF_VSOCK, SOCK_STREAM, 0)
        mov     $40, %edi
        mov     $1, %esi
        xor     %edx, %edx
        syscall
        test    %rax, %rax
        js      fail2
        mov     %rax, %r12
        mov     $42, %eax               # connect(fd, &addr, 16)
        mov     %r12, %rdi
        lea     addr(%rip), %rsi
        mov     $16, %edx
        syscall
        test    %rax, %rax
        js      fail3
copy_in:
        xor     %eax, %eax              # read(0, buf, 65536)
        xor     %edi, %edi
        lea     buf(%rip), %rsi
        mov     $65536, %edx
        syscall
        test    %rax, %rax
        js      fail4
        jz      done_in
        mov     %r12, %rdi
        call    write_all
        jmp     copy_in
done_in:
        mov     $48, %eax               # shutdown(fd, SHUT_WR)
        mov     %r12, %rdi
        mov     $1, %esi
        syscall
copy_out:
        xor     %eax, %eax              # read(fd, buf, 65536)
        mov     %r12, %rdi
        lea     buf(%rip), %rsi
        mov     $65536, %edx
        syscall
        test    %rax, %rax
        js      fail5
        jz      exit0
        mov     $1, %edi
        call    write_all
        jmp     copy_out
exit0:  xor     %edi, %edi
        jmp     leave
fail1:  mov     $1, %edi
        jmp     leave
fail2:  mov     $2, %edi
        jmp     leave
fail3:  mov     $3, %edi
        jmp     leave
fail4:  mov     $4, %edi
        jmp     leave
fail5:  mov     $5, %edi
        jmp     leave
fail6:  mov     $6, %edi
leave:  mov     $60, %eax               # exit(status)
        syscall

# write_all: writes %rax bytes of buf to descriptor %rdi.
write_all:
        mov     %rax, %r13
        lea     buf(%rip), %r14
        mov     %rdi, %r15
1:      test    %r13, %r13
        jz      2f
        mov     $1, %eax
        mov     %r15, %rdi
        mov     %r14, %rsi
        mov     %r13, %rdx
        syscall
        test    %rax, %rax
        jle     fail6
        add     %rax, %r14
        sub     %rax, %r13
        jmp     1b
2:      ret

# atoi: the decimal string at %rdi, in %eax.
atoi:
        xor     %eax, %eax
1:      movzbl  (%rdi), %ecx
        test    %ecx, %ecx
        jz      2f
        sub     $48, %ecx
        imul    $10, %eax
        add     %ecx, %eax
        inc     %rdi
        jmp     1b
2:      ret

        .data
addr:   .word   40, 0                   # struct sockaddr_vm: family AF_VSOCK, reserved
        .long   0, 0                    # port, cid
        .byte   0, 0, 0, 0
        .bss
        .lcomm  buf, 65536
