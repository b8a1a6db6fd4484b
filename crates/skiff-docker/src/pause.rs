//! A pause image, built locally: a container that does nothing but hold a network namespace
//! (and the ports published on it) for other containers to join, as a Kubernetes pod's pause
//! container does. Its program is a static x86-64 executable of 129 bytes, written here rather
//! than pulled (the machine may have no registry access): an ELF header, one loadable segment,
//! and `loop { pause() }`. On other architectures there is no pause image.

use std::fmt::Write as _;

use crate::context::files_tar;
use crate::engine::{BuildRequest, Engine};
use crate::error::EngineError;

/// The repository of the pause image; the tag is derived from the program's bytes.
const PAUSE_REPOSITORY: &str = "localhost/skiff-pause";

/// Where a loadable segment starts in memory (the classic static-executable address).
const LOAD_ADDRESS: u64 = 0x40_0000;

/// The size of the ELF header and of one program header.
const ELF_HEADER_SIZE: u16 = 64;
const PROGRAM_HEADER_SIZE: u16 = 56;

/// x86-64 machine code: `mov eax, 34` (the `pause` system call), `syscall`, `jmp` back to the
/// `mov` (-9 bytes).
const X86_64_PAUSE_LOOP: [u8; 9] = [0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7];

/// `EM_X86_64`.
const MACHINE_X86_64: u16 = 0x3e;

/// The pause program for the architecture `arch` (Go's or the engine's spelling: `amd64`,
/// `x86_64`), or `None` where there is none.
pub fn pause_program(arch: &str) -> Option<Vec<u8>> {
    x86_64_program(arch, &X86_64_PAUSE_LOOP)
}

/// A static executable of the x86-64 machine `code` (entered at its first byte) when `arch`
/// (Go's or the engine's spelling: `amd64`, `x86_64`) is x86-64, else `None`.
pub fn x86_64_program(arch: &str, code: &[u8]) -> Option<Vec<u8>> {
    matches!(arch, "amd64" | "x86_64").then(|| static_executable(MACHINE_X86_64, code))
}

/// A static ELF64 little-endian executable whose only segment is `code`, entered at its start.
fn static_executable(machine: u16, code: &[u8]) -> Vec<u8> {
    let headers = u64::from(ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE);
    let size = headers + code.len() as u64;
    let mut elf = Vec::with_capacity(usize::try_from(size).unwrap_or_default());
    // e_ident: magic, 64-bit, little-endian, version 1, System V ABI, padding.
    elf.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    elf.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    elf.extend_from_slice(&machine.to_le_bytes());
    elf.extend_from_slice(&1u32.to_le_bytes()); // EV_CURRENT
    elf.extend_from_slice(&(LOAD_ADDRESS + headers).to_le_bytes()); // entry point
    elf.extend_from_slice(&u64::from(ELF_HEADER_SIZE).to_le_bytes()); // program headers
    elf.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    elf.extend_from_slice(&0u32.to_le_bytes()); // flags
    elf.extend_from_slice(&ELF_HEADER_SIZE.to_le_bytes());
    elf.extend_from_slice(&PROGRAM_HEADER_SIZE.to_le_bytes());
    elf.extend_from_slice(&1u16.to_le_bytes()); // one program header
    elf.extend_from_slice(&[0; 6]); // no section header size, count or names
    elf.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // readable, executable
    elf.extend_from_slice(&0u64.to_le_bytes()); // from the start of the file
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // virtual address
    elf.extend_from_slice(&LOAD_ADDRESS.to_le_bytes()); // physical address
    elf.extend_from_slice(&size.to_le_bytes()); // bytes in the file
    elf.extend_from_slice(&size.to_le_bytes()); // bytes in memory
    elf.extend_from_slice(&0x1000u64.to_le_bytes()); // page alignment
    elf.extend_from_slice(code);
    elf
}

/// The build context of the pause image: the program and a Dockerfile copying it onto an empty
/// image.
fn pause_context(program: &[u8]) -> std::io::Result<Vec<u8>> {
    let dockerfile = b"FROM scratch\nCOPY pause /pause\nENTRYPOINT [\"/pause\"]\n";
    files_tar(&[
        ("Dockerfile", dockerfile.as_slice(), 0o644),
        ("pause", program, 0o755),
    ])
}

impl Engine {
    /// The pause image for the engine's architecture, built on first use (`None` when there is
    /// no pause program for it).
    pub async fn pause_image(&self) -> Result<Option<String>, EngineError> {
        let version = self.version().await?;
        let arch = version.platform.rsplit('/').next().unwrap_or_default();
        let Some(program) = pause_program(arch) else {
            return Ok(None);
        };
        let tag = format!("{PAUSE_REPOSITORY}:{}", short_digest(&program));
        if self.image_id(&tag).await?.is_some() {
            return Ok(Some(tag));
        }
        let context = pause_context(&program).map_err(|e| EngineError::BuildFailed {
            message: format!("writing the pause image's context: {e}"),
        })?;
        let request = BuildRequest {
            dockerfile: "Dockerfile".to_owned(),
            tag: tag.clone(),
            ..BuildRequest::default()
        };
        self.build(context, &request, |_| {}).await?;
        Ok(Some(tag))
    }
}

/// A short hexadecimal digest of `bytes` (FNV-1a), so a changed program gets a new tag.
fn short_digest(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut hex = String::with_capacity(16);
    let _ = write!(hex, "{hash:016x}");
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_a_129_byte_x86_64_executable() {
        let program = pause_program("amd64").unwrap();
        assert_eq!(program.len(), 129);
        assert_eq!(&program[..4], b"\x7fELF");
        assert_eq!(pause_program("x86_64"), Some(program));
        assert_eq!(pause_program("arm64"), None);
    }

    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    #[test]
    fn the_program_runs_until_it_is_killed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pause");
        std::fs::write(&path, pause_program("amd64").unwrap()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut child = std::process::Command::new(&path).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(child.try_wait().unwrap().is_none(), "it still runs");
        child.kill().unwrap();
        assert!(!child.wait().unwrap().success());
    }

    #[test]
    fn the_context_holds_the_dockerfile_and_the_program() {
        let context = pause_context(b"program").unwrap();
        let mut archive = tar::Archive::new(context.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["Dockerfile", "pause"]);
    }
}
