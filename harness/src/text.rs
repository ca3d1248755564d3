//! Small text helpers shared by error messages.

/// The last `n` lines of `text`, joined with newlines.
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The last `n` lines of a file, or a note saying it could not be read.
pub fn file_tail(path: &std::path::Path, n: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) if bytes.is_empty() => "(nothing was written to stderr)".to_owned(),
        Ok(bytes) => tail_lines(&String::from_utf8_lossy(&bytes), n),
        Err(err) => format!("(cannot read {}: {err})", path.display()),
    }
}

/// The last `n` lines of what a finished command wrote, its stdout then its stderr: the
/// excerpt an error about a failed build or setup step quotes.
pub fn output_tail(output: &std::process::Output, n: usize) -> String {
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    tail_lines(&text, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_only_the_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
        assert_eq!(tail_lines("", 5), "");
    }

    #[test]
    fn a_failed_commands_excerpt_is_its_stdout_then_its_stderr_cut_to_the_last_lines() {
        use std::os::unix::process::ExitStatusExt;
        let output = std::process::Output {
            status: std::process::ExitStatus::from_raw(256),
            stdout: b"compiling\nlinking\n".to_vec(),
            stderr: b"error: no\n".to_vec(),
        };
        assert_eq!(output_tail(&output, 2), "linking\nerror: no");
    }
}
