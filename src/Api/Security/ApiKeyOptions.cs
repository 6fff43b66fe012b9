using System.Security.Cryptography;
using System.Text;

namespace Wrapper.Api.Security;

/// <summary>The client API keys (<c>Auth:ApiKeys</c> list and/or the <c>API_KEYS</c> environment variable).</summary>
public sealed class ApiKeyOptions
{
    public const string SectionName = "Auth";
    public const string EnvironmentKey = "API_KEYS";

    /// <summary>Clients, each with a name and the SHA-256 (hex) of its key, or its key (e.g. from a secret).</summary>
    public List<ApiKeyEntry> ApiKeys { get; set; } = [];

    /// <summary>Serve <c>GET /health</c> without a key too (<c>/health/live</c> is always open).</summary>
    public bool AllowAnonymousHealth { get; set; }

    /// <summary>The known clients with their key hashes; entries without a usable key are skipped.</summary>
    public IReadOnlyList<ApiClient> Clients() =>
        ApiKeys.Select((entry, index) => entry.ToClient(index)).OfType<ApiClient>().ToList();

    /// <summary>Parses <c>API_KEYS</c>: comma-separated <c>name:key</c> or plain keys (named <c>client1</c>, ...);
    /// <c>name[gateway]:key</c> marks the key as a gateway's (<see cref="ApiKeyEntry.Gateway"/>).</summary>
    public static IEnumerable<ApiKeyEntry> ParseEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            yield break;
        }

        var index = 0;
        foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            index++;
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && colon < item.Length - 1)
            {
                var name = item[..colon].Trim();
                var gateway = name.EndsWith(GatewayMarker, StringComparison.OrdinalIgnoreCase);
                yield return new ApiKeyEntry
                {
                    Name = gateway ? name[..^GatewayMarker.Length].Trim() : name,
                    Key = item[(colon + 1)..].Trim(),
                    Gateway = gateway,
                };
            }
            else
            {
                yield return new ApiKeyEntry { Name = $"client{index}", Key = item };
            }
        }
    }

    /// <summary>The suffix of a name in <c>API_KEYS</c> that marks a gateway's key: <c>apim[gateway]:&lt;key&gt;</c>.</summary>
    public const string GatewayMarker = "[gateway]";

    /// <summary>SHA-256 of a key as 32 bytes.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

/// <summary>One configured client key.</summary>
public sealed class ApiKeyEntry
{
    public string? Name { get; set; }

    /// <summary>SHA-256 of the key, 64 hex digits (preferred: the key itself is then not in configuration).</summary>
    public string? KeyHash { get; set; }

    /// <summary>The key itself, for keys injected from a secret store.</summary>
    public string? Key { get; set; }

    /// <summary>True for the key a gateway (API Management, src/Gateway) presents: its requests may name the caller
    /// in <c>X-APIM-Subscription-Id</c> / <c>X-APIM-Product-Id</c>, and are then rate limited per subscriber
    /// (<see cref="ClientPartition"/>). From any other key those headers are ignored.</summary>
    public bool Gateway { get; set; }

    public ApiClient? ToClient(int index)
    {
        var name = string.IsNullOrWhiteSpace(Name) ? $"client{index + 1}" : Name.Trim();
        if (!string.IsNullOrEmpty(Key))
        {
            return new ApiClient(name, ApiKeyOptions.Hash(Key), Gateway);
        }

        if (KeyHash is { Length: 64 } hex)
        {
            try
            {
                return new ApiClient(name, Convert.FromHexString(hex), Gateway);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return null;
    }
}

/// <summary>A client that may call the service; <paramref name="Gateway"/> when it is a gateway that vouches for its callers.</summary>
public sealed record ApiClient(string Name, byte[] KeyHash, bool Gateway = false);
