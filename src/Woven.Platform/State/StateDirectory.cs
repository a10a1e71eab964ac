using Woven.Crypto;

namespace Woven.Platform.State;

/// <summary>
/// A node's state directory: its key, its control socket. Created with mode 0700; files that hold secrets are
/// 0600 and written atomically (temporary file, fsync, rename, fsync of the directory), so a crash or kill -9
/// leaves either the old file or the new one, never a torn one.
/// </summary>
public sealed class StateDirectory
{
    public const string KeyFileName = "node.key";
    public const string ControlSocketName = "control.sock";

    /// <summary>sockaddr_un holds 108 bytes including the terminating NUL.</summary>
    public const int MaxSocketPath = 107;

    public StateDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    public string KeyFile => System.IO.Path.Combine(Path, KeyFileName);

    public string ControlSocket => System.IO.Path.Combine(Path, ControlSocketName);

    /// <summary>The default: $WOVEN_STATE_DIR, else $XDG_STATE_HOME/woven, else ~/.local/state/woven.</summary>
    public static string DefaultPath()
    {
        var env = Environment.GetEnvironmentVariable("WOVEN_STATE_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return System.IO.Path.Combine(xdg, "woven");
        return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state", "woven");
    }

    public void EnsureExists()
    {
        if (!Directory.Exists(Path))
        {
            Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (ControlSocket.Length > MaxSocketPath)
            throw new StateException($"state directory path is too long for a unix socket ({ControlSocket.Length} > {MaxSocketPath} bytes): choose a shorter --state-dir");
    }

    /// <summary>Loads the node key, creating it on first start. Refuses a key file that others can read.</summary>
    public NodeIdentity LoadOrCreateIdentity()
    {
        EnsureExists();
        if (File.Exists(KeyFile))
        {
            var mode = File.GetUnixFileMode(KeyFile);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            if ((mode & others) != 0)
                throw new StateException($"{KeyFile} is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); fix it with: chmod 600 {KeyFile}");
            if (!NodeKeyFile.TryDecode(File.ReadAllBytes(KeyFile), out var identity, out var error))
                throw new StateException($"{KeyFile} is not a Woven node key: {error}; move it away to create a new identity");
            return identity!;
        }
        var created = NodeIdentity.Generate();
        WriteAtomically(KeyFile, NodeKeyFile.Encode(created));
        return created;
    }

    /// <summary>Writes a 0600 file so that readers see the old content or the new, never a mix.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> content)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            FsyncDirectory(dir);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static void FsyncDirectory(string dir)
    {
        // Makes the rename itself durable. Opening a directory for reading is allowed on Linux.
        try
        {
            using var handle = File.OpenHandle(dir, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (UnauthorizedAccessException)
        {
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A problem with the state directory, worded for the user.</summary>
public sealed class StateException(string message) : Exception(message);
