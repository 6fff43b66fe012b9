using System.Runtime.CompilerServices;
using System.Text;
using Azure.Core;

namespace Wrapper.Infrastructure.Agents;

/// <summary>One server-sent event: its <c>event:</c> name (null when the event named none) and its <c>data:</c> lines
/// joined with line feeds.</summary>
internal sealed record ServerSentEvent(string? Name, string Data);

/// <summary>
/// The events of one streamed Agent Service answer (<c>text/event-stream</c>), read line by line as they arrive: lines
/// <c>event: …</c> and <c>data: …</c>, an empty line ending each event, comments (<c>:</c>) ignored. Owns the HTTP
/// message: disposing it closes the connection, which is how a stream is abandoned.
/// </summary>
internal sealed class ServerSentEventStream : IAsyncDisposable
{
    private readonly HttpMessage _message;
    private readonly StreamReader _reader;
    private readonly AgentServiceClient _client;

    public ServerSentEventStream(HttpMessage message, Stream content, AgentServiceClient client)
    {
        _message = message;
        _reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        _client = client;
    }

    /// <summary>The events until the stream ends. A broken stream throws <see cref="Application.Common.Exceptions.UpstreamException"/>;
    /// the caller's own cancellation throws <see cref="OperationCanceledException"/>.</summary>
    public async IAsyncEnumerable<ServerSentEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? name = null;
        var data = new StringBuilder();
        var hasData = false;
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                if (hasData)
                {
                    yield return new ServerSentEvent(name, data.ToString());
                }

                yield break;
            }

            if (line.Length == 0)
            {
                if (hasData || name is not null)
                {
                    yield return new ServerSentEvent(name, data.ToString());
                }

                name = null;
                data.Clear();
                hasData = false;
                continue;
            }

            if (line[0] == ':')
            {
                continue;
            }

            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "event":
                    name = value;
                    break;
                case "data":
                    if (hasData)
                    {
                        data.Append('\n');
                    }

                    data.Append(value);
                    hasData = true;
                    break;
            }
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or System.Net.Http.HttpRequestException or ObjectDisposedException)
        {
            throw _client.StreamFailure(ex, cancellationToken);
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _message.Dispose();
        return ValueTask.CompletedTask;
    }
}
