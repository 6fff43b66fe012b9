using System.Text;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Wrapper.Infrastructure.Quotas;

/// <summary>
/// The one Redis connection of the process, opened at start in the background (the start never waits for Redis, and a
/// Redis that is down only means the instance counts on its own until it answers). Commands fail fast while it is
/// disconnected (no backlog), and StackExchange.Redis reconnects by itself. With <see cref="RedisOptions.UseEntraId"/> the
/// password is a Microsoft Entra ID access token of the managed identity, renewed (and re-sent with AUTH on every
/// connection) five minutes before it expires.
/// </summary>
public sealed class RedisConnection : IHostedService, IAsyncDisposable
{
    /// <summary>The scope of Azure Managed Redis and Azure Cache for Redis data-plane tokens.</summary>
    public const string EntraIdScope = "https://redis.azure.com/.default";

    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);

    private readonly RedisOptions _options;
    private readonly Func<TokenCredential> _credential;
    private readonly ILogger<RedisConnection> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ConnectionMultiplexer? _multiplexer;
    private Task? _connecting;
    private int _disposed;

    public RedisConnection(IOptions<RedisOptions> options, Func<TokenCredential> credential, ILogger<RedisConnection> logger)
    {
        _options = options.Value;
        _credential = credential;
        _logger = logger;
    }

    /// <summary>The connection when it is up; null before it was opened or while it is down.</summary>
    public ConnectionMultiplexer? Connected => _multiplexer is { IsConnected: true } m ? m : null;

    /// <summary>The connection once opened (connected or not), for subscriptions that must survive reconnects.</summary>
    public ConnectionMultiplexer? Multiplexer => _multiplexer;

    /// <summary>Raised once the connection is open (it may still be down then; it reconnects by itself).</summary>
    public event Action<ConnectionMultiplexer>? Opened;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Configured)
        {
            _connecting = Task.Run(() => ConnectAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_connecting is not null)
        {
            await _connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The host may dispose its services more than once.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_multiplexer is not null)
        {
            await _multiplexer.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>The StackExchange.Redis options of <paramref name="options"/>: fail fast and never abort on a failed connect.</summary>
    public static ConfigurationOptions Configure(RedisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(options.ConnectionString!);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 5000);
        configuration.ConnectRetry = Math.Max(configuration.ConnectRetry, 3);
        configuration.ClientName ??= "wrapper";
        return configuration;
    }

    /// <summary>The <c>oid</c> claim of a JWT access token: the object id Redis knows the identity by.</summary>
    public static string? ObjectIdOf(string accessToken)
    {
        var parts = accessToken.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + (4 - payload.Length % 4) % 4, '=');
            using var json = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return json.RootElement.TryGetProperty("oid", out var oid) && oid.ValueKind == JsonValueKind.String ? oid.GetString() : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            var configuration = Configure(_options);
            AccessToken? token = null;
            if (_options.UseEntraId)
            {
                token = await _credential().GetTokenAsync(new TokenRequestContext([EntraIdScope]), cancellationToken).ConfigureAwait(false);
                configuration.User = string.IsNullOrWhiteSpace(_options.EntraIdUser) ? ObjectIdOf(token.Value.Token) : _options.EntraIdUser;
                configuration.Password = token.Value.Token;
            }

            _multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            _logger.LogInformation("Redis at {Endpoints}: {State}; per-client quotas and upstream throttling are shared by every instance",
                string.Join(", ", configuration.EndPoints), _multiplexer.IsConnected ? "connected" : "not reachable yet (instances count on their own until it is)");
            Opened?.Invoke(_multiplexer);

            if (token is { } first)
            {
                await RenewTokensAsync(configuration, first, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            // A malformed configuration string or an identity without a token: the instance counts on its own.
            _logger.LogError(ex, "Redis could not be set up ({Error}); per-client quotas are counted by each instance on its own", ex.Message);
        }
    }

    private async Task RenewTokensAsync(ConfigurationOptions configuration, AccessToken token, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var wait = token.ExpiresOn - RenewBefore - DateTimeOffset.UtcNow;
            await Task.Delay(wait > TimeSpan.FromSeconds(30) ? wait : TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            try
            {
                token = await _credential().GetTokenAsync(new TokenRequestContext([EntraIdScope]), cancellationToken).ConfigureAwait(false);
                configuration.Password = token.Token;
                foreach (var server in _multiplexer!.GetServers().Where(s => s.IsConnected))
                {
                    await server.ExecuteAsync("AUTH", configuration.User!, token.Token).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning("Renewing the Redis Entra ID token failed ({Error}); retrying in 30 s", ex.Message);
                token = new AccessToken(token.Token, DateTimeOffset.UtcNow + RenewBefore);
            }
        }
    }
}
