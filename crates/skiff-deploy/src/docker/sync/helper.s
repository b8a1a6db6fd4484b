# skiff's sync helper for containers without a shell (x86-64 Linux, no libc). It speaks the
# protocol of the shell loop in session.rs on its standard input and output: it prints
# "skiff-sync-ready", then for each request reads a header line "<op> <size>" and exactly <size>
# bytes: "copy" — a tar archive (regular files, directories, relative symbolic links, GNU long
# names) extracted at / with the archive's modes, missing parent directories created;
# "delete" — NUL-terminated paths removed as `rm -rf` does. It answers "skiff-sync-done 0", or
# "skiff-sync-done 1" when anything failed, and exits when its input ends. helper.rs holds the
# bytes `as` and `objcopy -O binary -j .text` make of this file; a test checks that they match.
    .intel_syntax noprefix
    .globl _start

    .set BLOCK, 0                 # one tar block
    .set NAME, 512                # a GNU long name
    .set LINK, 4616               # a GNU long link target
    .set PATH, 8720               # the path being written or removed
    .set TARGET, 12824            # a symbolic link's target
    .set LINE, 16928              # a request's header line
    .set FD, 17000                # the file being written
    .set WORK, 17024
    .set ROOM, 4095               # the longest name or path

_start:
    sub rsp, WORK
    mov r15, rsp                  # r15: the work area; r12: request bytes left; r13: status
    lea rsi, [rip+ready]
    mov edx, 17
    call say
request:
    xor ebx, ebx
read_line:
    lea rsi, [r15+LINE+rbx]
    mov edx, 1
    call read_full
    cmp byte ptr [r15+LINE+rbx], 10
    je parse_line
    inc rbx
    cmp rbx, 64
    jb read_line
    jmp quit
parse_line:
    lea rsi, [r15+LINE]
find_space:
    mov al, [rsi]
    inc rsi
    cmp al, 10
    je quit
    cmp al, ' '
    jne find_space
    xor eax, eax
decimal:
    movzx ecx, byte ptr [rsi]
    sub ecx, '0'
    cmp ecx, 9
    ja parsed
    imul rax, rax, 10
    add rax, rcx
    inc rsi
    jmp decimal
parsed:
    mov r12, rax
    xor r13d, r13d
    mov al, [r15+LINE]
    cmp al, 'c'
    jne 1f
    call extract
    jmp reply
1:  cmp al, 'd'
    jne 2f
    call delete_list
    jmp reply
2:  mov r13d, 1
reply:
    call drain
    lea rsi, [rip+done]
    mov edx, 16
    call say
    lea eax, [r13+'0']
    mov byte ptr [r15+LINE], al
    mov byte ptr [r15+LINE+1], 10
    lea rsi, [r15+LINE]
    mov edx, 2
    call say
    jmp request

# Extracts the tar archive in the next r12 bytes.
extract:
    xor r14d, r14d                # bit 0: a long name is pending, bit 1: a long link
next_entry:
    cmp r12, 512
    jb extracted
    lea rsi, [r15+BLOCK]
    mov edx, 512
    call read_full
    sub r12, 512
    cmp byte ptr [r15+BLOCK], 0
    je extracted                  # the end-of-archive block
    lea rsi, [r15+BLOCK+124]
    mov ecx, 12
    call octal
    mov rbx, rax                  # rbx: the entry's size
    movzx eax, byte ptr [r15+BLOCK+156]
    cmp al, 'L'
    je long_name
    cmp al, 'K'
    je long_link
    cmp al, '5'
    je directory
    cmp al, '2'
    je symlink
    cmp al, '0'
    je regular
    test al, al
    je regular
    mov r13d, 1                   # a kind this helper does not write
    call skip
    jmp entry_done
directory:
    call path_and_mode
    call make_parents
    lea rdi, [r15+PATH]
    mov esi, ebp
    mov eax, 83                   # mkdir
    syscall
    lea rdi, [r15+PATH]
    mov esi, ebp
    mov eax, 90                   # chmod: the archive's mode, if it was there already
    syscall
    call skip
    jmp entry_done
symlink:
    call path_and_mode
    lea rdi, [r15+TARGET]
    lea rsi, [r15+BLOCK+157]
    mov edx, 2
    lea r8, [r15+LINK]
    call name_field
    call make_parents
    lea rdi, [r15+PATH]
    mov eax, 87                   # unlink what was there
    syscall
    lea rdi, [r15+TARGET]
    lea rsi, [r15+PATH]
    mov eax, 88                   # symlink
    syscall
    test rax, rax
    jns 1f
    mov r13d, 1
1:  call skip
    jmp entry_done
regular:
    call path_and_mode
    call write_file
entry_done:
    xor r14d, r14d
    jmp next_entry
long_name:
    lea rdi, [r15+NAME]
    call read_long
    or r14d, 1
    jmp next_entry
long_link:
    lea rdi, [r15+LINK]
    call read_long
    or r14d, 2
    jmp next_entry
extracted:
    ret

# Sets PATH to "/" and the entry's name (the pending long name, if any), ebp to its mode.
path_and_mode:
    lea rdi, [r15+PATH]
    mov byte ptr [rdi], '/'
    inc rdi
    lea rsi, [r15+BLOCK]
    mov edx, 1
    lea r8, [r15+NAME]
    call name_field
    lea rsi, [r15+BLOCK+100]
    mov ecx, 8
    call octal
    and eax, 07777
    mov ebp, eax
    ret

# Copies to rdi the 100-byte name field at rsi or, when the pending-long-value bit edx of r14d
# is set, the long value at r8.
name_field:
    mov ecx, 100
    test r14d, edx
    jz 1f
    mov rsi, r8
    mov ecx, ROOM - 1
1:  jmp copy_string

# Reads a long name of rbx bytes (padded to blocks) to rdi, NUL-terminated.
read_long:
    cmp rbx, ROOM
    jae 1f
    push rdi
    lea rdx, [rbx+511]
    and rdx, -512
    cmp rdx, r12
    ja 2f
    sub r12, rdx
    mov rsi, rdi
    call read_full
    pop rdi
    mov byte ptr [rdi+rbx], 0
    ret
2:  pop rdi
1:  mov byte ptr [rdi], 0
    mov r13d, 1
    jmp skip

# Writes the next rbx bytes of the archive to the file PATH with mode ebp.
write_file:
    call open_file
    cmp rax, -2                   # ENOENT: a parent directory is missing
    jne 1f
    call make_parents
    call open_file
1:  test rax, rax
    jns 2f
    mov r13d, 1
    jmp skip
2:  mov [r15+FD], rax
copy_data:
    test rbx, rbx
    jz copied
    cmp r12, 512
    jb 3f
    lea rsi, [r15+BLOCK]
    mov edx, 512
    call read_full
    sub r12, 512
    mov rdx, rbx
    cmp rdx, 512
    jbe 4f
    mov edx, 512
4:  sub rbx, rdx
    mov rdi, [r15+FD]
    lea rsi, [r15+BLOCK]
    call write_full
    jmp copy_data
3:  mov r13d, 1                   # the archive ends inside the file
copied:
    mov rdi, [r15+FD]
    mov esi, ebp
    mov eax, 91                   # fchmod: the exact mode, whatever the umask
    syscall
    mov rdi, [r15+FD]
    mov eax, 3                    # close
    syscall
    ret

open_file:
    lea rdi, [r15+PATH]
    mov esi, 0x80241              # O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
    mov edx, ebp
    mov eax, 2                    # open
    syscall
    ret

# Creates the missing parent directories of PATH.
make_parents:
    lea r8, [r15+PATH+1]
1:  mov al, [r8]
    test al, al
    jz 3f
    cmp al, '/'
    jne 2f
    cmp byte ptr [r8+1], 0        # a trailing '/' ends the path itself
    je 3f
    mov byte ptr [r8], 0
    lea rdi, [r15+PATH]
    mov esi, 0755
    mov eax, 83                   # mkdir
    syscall
    mov byte ptr [r8], '/'
2:  inc r8
    jmp 1b
3:  ret

# Skips the rbx bytes of the current entry, padded to blocks.
skip:
    lea rax, [rbx+511]
    and rax, -512
    cmp rax, r12
    jbe 1f
    mov rax, r12
    mov r13d, 1
1:  sub r12, rax
    mov rbx, rax
2:  test rbx, rbx
    jz 3f
    mov rdx, rbx
    cmp rdx, 512
    jbe 4f
    mov edx, 512
4:  sub rbx, rdx
    lea rsi, [r15+BLOCK]
    call read_full
    jmp 2b
3:  ret

# Reads and drops the request's r12 remaining bytes.
drain:
    mov rbx, r12
    xor r12d, r12d
    jmp 2b

# Removes each NUL-terminated path of the next r12 bytes.
delete_list:
    test r12, r12
    jz 5f
    xor ebx, ebx
1:  lea rsi, [r15+PATH+rbx]
    mov edx, 1
    call read_full
    dec r12
    cmp byte ptr [r15+PATH+rbx], 0
    je 3f
    inc rbx
    test r12, r12
    jz 2f
    cmp rbx, ROOM
    jb 1b
    mov r13d, 1                   # too long: the rest of the request is dropped
    ret
2:  mov byte ptr [r15+PATH+rbx], 0
3:  test rbx, rbx
    jz delete_list
    mov rdi, rbx
    call remove
    jmp delete_list
5:  ret

# Removes PATH (rdi bytes long) and, for a directory, all it holds; rax: 0, or 1 and r13 set
# when something stays.
remove:
    push rbx
    push rbp
    push r14
    mov rbx, rdi
    lea rdi, [r15+PATH]
    mov eax, 87                   # unlink
    syscall
    test rax, rax
    jz removed
    cmp rax, -2                   # ENOENT
    je removed
    cmp rax, -21                  # EISDIR
    je 1f
    cmp rax, -1                   # EPERM: some file systems' answer for a directory
    jne not_removed
1:  lea rdi, [r15+PATH]
    mov esi, 0xb0000              # O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
    mov eax, 2                    # open
    syscall
    test rax, rax
    js not_removed
    mov rbp, rax
    sub rsp, 2064                 # [rsp]: the next entry, [rsp+8]: the end, then entries
pass:
    xor r14d, r14d                # whether this pass removed anything
entries:
    mov rdi, rbp
    lea rsi, [rsp+16]
    mov edx, 2048
    mov eax, 217                  # getdents64
    syscall
    test rax, rax
    jle pass_done
    mov [rsp+8], rax
    mov qword ptr [rsp], 0
entry:
    mov rax, [rsp]
    cmp rax, [rsp+8]
    jae entries
    lea rsi, [rsp+16+rax]
    movzx ecx, word ptr [rsi+16]  # d_reclen
    add [rsp], rcx
    add rsi, 19                   # d_name
    cmp byte ptr [rsi], '.'
    jne child
    cmp byte ptr [rsi+1], 0
    je entry
    cmp byte ptr [rsi+1], '.'
    jne child
    cmp byte ptr [rsi+2], 0
    je entry
child:
    lea rdi, [r15+PATH+rbx]
    mov byte ptr [rdi], '/'
    inc rdi
    mov rcx, ROOM - 1
    sub rcx, rbx
    xor edx, edx
1:  cmp rdx, rcx
    jae 2f
    mov al, [rsi+rdx]
    mov [rdi+rdx], al
    inc rdx
    test al, al
    jnz 1b
    lea rdi, [rbx+rdx]            # the child's length
    call remove
    mov byte ptr [r15+PATH+rbx], 0
    test rax, rax
    jnz entry
    mov r14d, 1
    jmp entry
2:  mov byte ptr [r15+PATH+rbx], 0
    mov r13d, 1
    jmp entry
pass_done:
    test r14d, r14d
    jz 1f
    mov rdi, rbp
    xor esi, esi
    xor edx, edx
    mov eax, 8                    # lseek to the start: removing entries may have hidden some
    syscall
    jmp pass
1:  add rsp, 2064
    mov rdi, rbp
    mov eax, 3                    # close
    syscall
    lea rdi, [r15+PATH]
    mov eax, 84                   # rmdir
    syscall
    test rax, rax
    jz removed
    cmp rax, -2
    je removed
not_removed:
    mov r13d, 1
    mov eax, 1
    jmp 1f
removed:
    xor eax, eax
1:  pop r14
    pop rbp
    pop rbx
    ret

# Reads exactly rdx bytes to rsi; exits when the input ends.
read_full:
    mov r8, rsi
    mov r9, rdx
1:  test r9, r9
    jz 2f
    xor edi, edi
    mov rsi, r8
    mov rdx, r9
    xor eax, eax                  # read
    syscall
    cmp rax, -4                   # EINTR
    je 1b
    test rax, rax
    jle quit
    add r8, rax
    sub r9, rax
    jmp 1b
2:  ret

# Writes rdx bytes from rsi to the file rdi; r13 set when it fails.
write_full:
    mov r10, rdi
    mov r8, rsi
    mov r9, rdx
1:  test r9, r9
    jz 2f
    mov rdi, r10
    mov rsi, r8
    mov rdx, r9
    mov eax, 1                    # write
    syscall
    cmp rax, -4
    je 1b
    test rax, rax
    jle 3f
    add r8, rax
    sub r9, rax
    jmp 1b
3:  mov r13d, 1
2:  ret

# Writes rdx bytes from rsi to standard output; exits when it is gone.
say:
    push r13
    xor r13d, r13d
    mov edi, 1
    call write_full
    test r13d, r13d
    pop r13
    jnz quit
    ret

# Copies the string at rsi (at most rcx bytes, up to a NUL) to rdi, NUL-terminated.
copy_string:
    test rcx, rcx
    jz 2f
1:  mov al, [rsi]
    test al, al
    jz 2f
    mov [rdi], al
    inc rdi
    inc rsi
    dec rcx
    jnz 1b
2:  mov byte ptr [rdi], 0
    ret

# The octal number of the rcx-byte field at rsi (leading spaces skipped).
octal:
    xor eax, eax
1:  test rcx, rcx
    jz 3f
    movzx edx, byte ptr [rsi]
    cmp dl, ' '
    jne 2f
    inc rsi
    dec rcx
    jmp 1b
2:  movzx edx, byte ptr [rsi]
    sub edx, '0'
    cmp edx, 7
    ja 3f
    shl rax, 3
    add rax, rdx
    inc rsi
    dec rcx
    jnz 2b
3:  ret

quit:
    xor edi, edi
    mov eax, 231                  # exit_group
    syscall

ready:
    .ascii "skiff-sync-ready\n"
done:
    .ascii "skiff-sync-done "
