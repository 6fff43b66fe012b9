using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Wrapper.Api.Security;

/// <summary>Finds the client a presented key belongs to, comparing SHA-256 digests in constant time.</summary>
public sealed class ApiKeyAuthenticator
{
    private readonly IReadOnlyList<ApiClient> _clients;

    public ApiKeyAuthenticator(IOptions<ApiKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clients = options.Value.Clients();
    }

    /// <summary>False when no key is configured: the service is then open.</summary>
    public bool Enabled => _clients.Count > 0;

    /// <summary>The client whose key this is, or null.</summary>
    public ApiClient? Authenticate(string? presentedKey)
    {
        if (string.IsNullOrEmpty(presentedKey))
        {
            return null;
        }

        var digest = ApiKeyOptions.Hash(presentedKey);
        ApiClient? match = null;
        foreach (var client in _clients)
        {
            // Every client is compared so the time taken does not tell which (or whether one) matched.
            if (CryptographicOperations.FixedTimeEquals(digest, client.KeyHash))
            {
                match ??= client;
            }
        }

        return match;
    }

    /// <summary>The key from <c>api-key</c>, or from <c>Authorization: Bearer</c>.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } apiKey)
        {
            return apiKey.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization["Bearer ".Length..].Trim()
            : null;
    }

    public const string ApiKeyHeader = "api-key";
}
