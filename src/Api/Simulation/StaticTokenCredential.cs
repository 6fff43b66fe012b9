using Azure.Core;

namespace Wrapper.Api.Simulation;

/// <summary>A credential that always presents one token: the per-process random token the embedded simulator expects.
/// Registered by <see cref="EmbeddedSimulator"/> for the Agent Service only; real Azure always gets <c>DefaultAzureCredential</c>.</summary>
public sealed class StaticTokenCredential : TokenCredential
{
    private readonly string _token;

    public StaticTokenCredential(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _token = token;
    }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(_token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
