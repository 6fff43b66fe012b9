using System.Security.Cryptography;
using System.Text;

namespace Wrapper.Api.Security;

/// <summary>The client API keys (<c>Auth:ApiKeys</c> list and/or the <c>API_KEYS</c> environment variable). Every entry
/// must be usable, or the service refuses to start (see <see cref="ApiKeyOptionsValidator"/>): a key that cannot be
/// read never switches authentication off.</summary>
public sealed class ApiKeyOptions
{
    public const string SectionName = "Auth";
    public const string EnvironmentKey = "API_KEYS";

    /// <summary>The shortest key accepted, in characters (a 32-character key from a 64-symbol alphabet is 192 bits).</summary>
    public const int MinimumKeyLength = 32;

    /// <summary>Clients, each with a name and the SHA-256 (hex) of its key, or its key (e.g. from a secret).</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    /// <summary>Serve <c>GET /health</c> without a key too (<c>/health/live</c> and <c>/health/ready</c> always are).</summary>
    public bool AllowAnonymousHealth { get; set; }

    /// <summary>The known clients with their key hashes. Throws on an entry that is not usable: the options validator
    /// has already refused such configuration at start, this only keeps a bypass from turning into "no key".</summary>
    public IReadOnlyList<ApiClient> Clients() => ApiKeys.Select((entry, index) => entry.ToClient(index)).ToList();

    /// <summary>The entries of the <c>Auth:ApiKeys</c> section, each labelled with its configuration path
    /// (<c>Auth:ApiKeys:2</c>) so that a start-up error names the exact entry.</summary>
    public static List<ApiKeyEntry> ReadConfigured(IConfigurationSection section) =>
        section.GetChildren().Select(child =>
        {
            var entry = child.Get<ApiKeyEntry>() ?? new ApiKeyEntry();
            entry.Source = child.Path;
            return entry;
        }).ToList();

    /// <summary>Parses <c>API_KEYS</c>: comma-separated <c>name:key</c> or plain keys (named <c>client1</c>, ...);
    /// <c>name[gateway]:key</c> marks the key as a gateway's (<see cref="ApiKeyEntry.Gateway"/>). Every
    /// item yields an entry labelled <c>API_KEYS entry N</c> (1-based), empty ones included, so that the validator can
    /// refuse them instead of this parser dropping them.</summary>
    public static IEnumerable<ApiKeyEntry> ParseEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            yield break;
        }

        var items = value.Split(',', StringSplitOptions.TrimEntries);
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i];
            var source = $"{EnvironmentKey} entry {i + 1}";
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                yield return new ApiKeyEntry { Name = $"client{i + 1}", Key = item, Source = source };
                continue;
            }

            var name = item[..colon].Trim();
            var gateway = name.EndsWith(GatewayMarker, StringComparison.OrdinalIgnoreCase);
            if (gateway)
            {
                name = name[..^GatewayMarker.Length].Trim();
            }

            yield return new ApiKeyEntry
            {
                Name = NullIfEmpty(name) ?? $"client{i + 1}",
                Key = item[(colon + 1)..].Trim(),
                Gateway = gateway,
                Source = source,
            };
        }
    }

    /// <summary>The suffix of a name in <c>API_KEYS</c> that marks a gateway's key: <c>apim[gateway]:&lt;key&gt;</c>.</summary>
    public const string GatewayMarker = "[gateway]";

    /// <summary>SHA-256 of a key as 32 bytes.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;
}

/// <summary>One configured client key. Exactly one of <see cref="Key"/> and <see cref="KeyHash"/> is set.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>The client's name: its identity in logs and its rate-limit budget. Several entries may share a name
    /// (the old and the new key of one client while a key is rotated); they are then one client.</summary>
    public string? Name { get; set; }

    /// <summary>SHA-256 of the key, 64 hex digits (preferred: the key itself is then not in configuration).</summary>
    public string? KeyHash { get; set; }

    /// <summary>The key itself, for keys injected from a secret store: at least <see cref="ApiKeyOptions.MinimumKeyLength"/>
    /// printable ASCII characters, no spaces.</summary>
    public string? Key { get; set; }

    /// <summary>This key is the gateway's (APIM's): requests made with it may name their subscriber in a header the
    /// gateway sets (see <see cref="ClientIdentity.IsGateway"/>). Default false.</summary>
    public bool Gateway { get; set; }

    /// <summary>Where the entry comes from, for error messages (<c>Auth:ApiKeys:2</c>, <c>API_KEYS entry 3</c>); never
    /// read from configuration.</summary>
    public string? Source { get; internal set; }

    /// <summary>A key is given (an empty value counts as unset, like every empty setting of this service).</summary>
    public bool HasKey => !string.IsNullOrEmpty(Key);

    /// <summary>A key hash is given (an empty value counts as unset).</summary>
    public bool HasKeyHash => !string.IsNullOrEmpty(KeyHash);

    /// <summary>The name an error message uses for this entry (never its key).</summary>
    public string Label(int index) => Source ?? $"{ApiKeyOptions.SectionName}:ApiKeys:{index}";

    /// <summary>The client of a valid entry; throws (naming the entry, never the key) on one the validator refuses.</summary>
    public ApiClient ToClient(int index)
    {
        if (ApiKeyOptionsValidator.Problem(this, index) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        var name = string.IsNullOrWhiteSpace(Name) ? $"client{index + 1}" : Name.Trim();
        var hash = HasKey ? ApiKeyOptions.Hash(Key!) : Convert.FromHexString(KeyHash!.Trim());
        return new ApiClient(name, hash, Gateway);
    }
}

/// <summary>A client that may call the service; <paramref name="Gateway"/> when its key is the gateway's.</summary>
public sealed record ApiClient(string Name, byte[] KeyHash, bool Gateway = false);
