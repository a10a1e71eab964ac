using System.Text;
using Woven.Crypto;
using Woven.Security;

namespace Woven.Platform.State;

/// <summary>
/// The user-domain files of a directory: a node's state directory (domain.json, member.cert, revocations.bin)
/// or a CA directory (the same plus ca.key and issued.log). The directory is 0700; every file is written
/// atomically with mode 0600 through <see cref="StateDirectory.WriteAtomically"/>. Loading a file that is absent
/// gives null; a file that is present but unreadable is a <see cref="StateException"/> that names it.
/// </summary>
public sealed class DomainStore
{
    public const string DomainFileName = "domain.json";
    public const string CertificateFileName = "member.cert";
    public const string RevocationsFileName = "revocations.bin";
    public const string CaKeyFileName = "ca.key";
    public const string IssuedLogFileName = "issued.log";

    private const UnixFileMode OthersAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    public DomainStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    public string DomainFile => Combine(DomainFileName);

    public string CertificateFile => Combine(CertificateFileName);

    public string RevocationsFile => Combine(RevocationsFileName);

    public string CaKeyFile => Combine(CaKeyFileName);

    public string IssuedLogFile => Combine(IssuedLogFileName);

    /// <summary>The node key of a state directory (the same file <see cref="StateDirectory"/> uses).</summary>
    public string NodeKeyFile => Combine(StateDirectory.KeyFileName);

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void EnsureExists()
    {
        if (!Directory.Exists(Path))
            Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public DomainSettings? LoadSettings() => LoadSettingsFile(DomainFile);

    /// <summary>Reads a domain file anywhere; null when it does not exist.</summary>
    public static DomainSettings? LoadSettingsFile(string file)
    {
        if (!File.Exists(file)) return null;
        string text;
        try
        {
            text = File.ReadAllText(file, Encoding.UTF8);
        }
        catch (DecoderFallbackException)
        {
            throw new StateException($"{file} is not a Woven domain file: not UTF-8 text");
        }
        if (!DomainSettings.TryParseJson(text, out var settings, out var error))
            throw new StateException($"{file} is not a Woven domain file: {error}");
        return settings;
    }

    public void SaveSettings(DomainSettings settings)
    {
        EnsureExists();
        StateDirectory.WriteAtomically(DomainFile, Encoding.UTF8.GetBytes(settings.ToJson()));
    }

    public MemberCertificate? LoadCertificate() => LoadBinary(CertificateFile, "member certificate", MemberCertificate.MaxSize,
        bytes => MemberCertificate.TryRead(bytes, out var c) ? c : null);

    public void SaveCertificate(MemberCertificate certificate)
    {
        EnsureExists();
        StateDirectory.WriteAtomically(CertificateFile, certificate.ToBytes());
    }

    /// <summary>
    /// The revocation list on disk, or null. When the directory holds a domain file, the list must be signed by that
    /// domain's CA (a StateException otherwise), so that what this returns can go straight to
    /// <see cref="MemberCertificate.Verify(DomainSettings, ReadOnlySpan{byte}, DateTimeOffset, RevocationList?)"/>.
    /// Without a domain file the list is returned unchecked.
    /// </summary>
    public RevocationList? LoadRevocations()
    {
        var domain = LoadSettings();
        return domain is null ? LoadUncheckedRevocations() : LoadRevocations(domain);
    }

    /// <summary>The revocation list on disk, or null; a StateException when it is not signed by <paramref name="domain"/>'s CA.</summary>
    public RevocationList? LoadRevocations(DomainSettings domain)
    {
        var list = LoadUncheckedRevocations();
        if (list is not null && !list.IsSignedBy(domain))
            throw new StateException($"{RevocationsFile} is not a revocation list of domain '{domain.Name}' signed by its CA; move it away, or replace it with the CA's current revocations.bin");
        return list;
    }

    private RevocationList? LoadUncheckedRevocations() => LoadBinary(RevocationsFile, "revocation list", RevocationList.MaxSize,
        bytes => RevocationList.TryRead(bytes, out var l) ? l : null);

    public void SaveRevocations(RevocationList list)
    {
        EnsureExists();
        StateDirectory.WriteAtomically(RevocationsFile, list.ToBytes());
    }

    /// <summary>
    /// Keeps <paramref name="received"/> if <see cref="RevocationList.Merge"/> prefers it to the list on disk;
    /// returns the list now held. A list on disk that no longer verifies is replaced.
    /// </summary>
    public RevocationList? MergeRevocations(RevocationList received, DomainSettings domain)
    {
        RevocationList? held;
        try
        {
            held = LoadRevocations(domain);
        }
        catch (StateException)
        {
            held = null;
        }
        var kept = RevocationList.Merge(held, received, domain);
        if (kept is not null && !ReferenceEquals(kept, held)) SaveRevocations(kept);
        return kept;
    }

    /// <summary>The CA key; a StateException when it is missing, malformed or readable by others.</summary>
    public DomainAuthority LoadAuthority()
    {
        if (!File.Exists(CaKeyFile))
            throw new StateException($"{Path} is not a domain CA directory (no {CaKeyFileName}); create one with: woven domain init NAME --dir {Path}");
        RefuseOthersAccess(CaKeyFile);
        if (!DomainAuthority.TryDecodeKeyFile(File.ReadAllBytes(CaKeyFile), out var authority, out var error))
            throw new StateException($"{CaKeyFile} is not a Woven domain CA key: {error}");
        return authority!;
    }

    /// <summary>Writes a new CA directory's key and domain file; refuses to overwrite either.</summary>
    public void CreateAuthority(DomainAuthority authority, DomainSettings settings)
    {
        if (File.Exists(CaKeyFile) || File.Exists(DomainFile))
            throw new StateException($"{Path} already holds a domain ({(File.Exists(CaKeyFile) ? CaKeyFileName : DomainFileName)} exists); choose another --dir or remove it first");
        EnsureExists();
        StateDirectory.WriteAtomically(CaKeyFile, authority.EncodeKeyFile());
        SaveSettings(settings);
    }

    /// <summary>The node key of a state directory, or null when there is none.</summary>
    public NodeIdentity? LoadNodeKey()
    {
        if (!File.Exists(NodeKeyFile)) return null;
        RefuseOthersAccess(NodeKeyFile);
        if (!Woven.Crypto.NodeKeyFile.TryDecode(File.ReadAllBytes(NodeKeyFile), out var identity, out var error))
            throw new StateException($"{NodeKeyFile} is not a Woven node key: {error}");
        return identity;
    }

    public void SaveNodeKey(NodeIdentity identity)
    {
        EnsureExists();
        StateDirectory.WriteAtomically(NodeKeyFile, Woven.Crypto.NodeKeyFile.Encode(identity));
    }

    /// <summary>Every line of issued.log; an empty list when there is none.</summary>
    public IReadOnlyList<DomainIssuedCertificate> LoadIssued()
    {
        if (!File.Exists(IssuedLogFile)) return [];
        var result = new List<DomainIssuedCertificate>();
        int number = 0;
        foreach (var line in File.ReadAllLines(IssuedLogFile))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (!DomainIssuedCertificate.TryParseJsonLine(line, out var entry))
                throw new StateException($"{IssuedLogFile}: line {number} is not an issued-certificate record; fix or remove that line");
            result.Add(entry!);
        }
        return result;
    }

    /// <summary>Adds a line to issued.log (rewriting it atomically, so that a crash never leaves half a line).</summary>
    public void RecordIssued(DomainIssuedCertificate entry)
    {
        EnsureExists();
        var existing = File.Exists(IssuedLogFile) ? File.ReadAllText(IssuedLogFile) : "";
        if (existing.Length > 0 && !existing.EndsWith('\n')) existing += "\n";
        StateDirectory.WriteAtomically(IssuedLogFile, Encoding.UTF8.GetBytes(existing + entry.ToJsonLine() + "\n"));
    }

    private static void RefuseOthersAccess(string file)
    {
        var mode = File.GetUnixFileMode(file);
        if ((mode & OthersAccess) != 0)
            throw new StateException($"{file} is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); fix it with: chmod 600 {file}");
    }

    private static T? LoadBinary<T>(string file, string what, int maxSize, Func<byte[], T?> decode) where T : class
    {
        if (!File.Exists(file)) return null;
        var length = new FileInfo(file).Length;
        if (length > maxSize) throw new StateException($"{file} is not a Woven {what}: {length} bytes is more than the largest ({maxSize})");
        return decode(File.ReadAllBytes(file)) ?? throw new StateException($"{file} is not a Woven {what} (malformed or another version)");
    }
}
