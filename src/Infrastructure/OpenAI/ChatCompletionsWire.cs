using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Domain.Chat;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>One <c>chat.completion.chunk</c> of a streamed answer, reduced to what the service passes on: the text of
/// the first choice, its finish reason, the model and the usage (any of them absent in a given chunk).</summary>
/// <param name="Content">The first choice's <c>delta.content</c>, if any.</param>
/// <param name="FinishReason">The first choice's <c>finish_reason</c>, if this chunk has one.</param>
/// <param name="Model">The chunk's <c>model</c>, if not empty.</param>
/// <param name="Usage">The chunk's <c>usage</c> (the last chunk, when usage was asked for).</param>
/// <param name="IsEnd">The <c>data: [DONE]</c> sentinel that ends the stream.</param>
internal readonly record struct ChatCompletionChunk(string? Content, string? FinishReason, string? Model, TokenUsage? Usage, bool IsEnd);

/// <summary>What a whole (not streamed) chat completion says: the text of its first choice, its finish reason, the model
/// and the usage.</summary>
internal readonly record struct ChatCompletionAnswer(string Content, string? FinishReason, string? Model, TokenUsage? Usage);

/// <summary>
/// The wire format of Azure OpenAI chat completions, read and written without the SDK's object model (the requests
/// still go through the SDK client's pipeline): <see cref="WriteRequest"/> writes the request body the SDK's
/// <c>CompleteChatAsync</c> / <c>CompleteChatStreamingAsync</c> send (messages, model; for a stream <c>stream</c> and
/// <c>stream_options.include_usage</c>), <see cref="ParseAnswer"/> reads a whole answer, and <see cref="ReadChunks"/>
/// parses the server-sent events straight from the response stream into <see cref="ChatCompletionChunk"/>s, all with
/// <see cref="Utf8JsonReader"/>: one string per piece of text and little else. The SDK's per-chunk object model was
/// the largest cost of a streamed answer.
/// </summary>
internal static class ChatCompletionsWire
{
    private static readonly JsonEncodedText MessagesName = JsonEncodedText.Encode("messages");
    private static readonly JsonEncodedText RoleName = JsonEncodedText.Encode("role");
    private static readonly JsonEncodedText ContentName = JsonEncodedText.Encode("content");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText StreamName = JsonEncodedText.Encode("stream");
    private static readonly JsonEncodedText StreamOptionsName = JsonEncodedText.Encode("stream_options");
    private static readonly JsonEncodedText IncludeUsageName = JsonEncodedText.Encode("include_usage");
    private static readonly JsonEncodedText SystemRole = JsonEncodedText.Encode("system");
    private static readonly JsonEncodedText UserRole = JsonEncodedText.Encode("user");
    private static readonly JsonEncodedText AssistantRole = JsonEncodedText.Encode("assistant");

    /// <summary>The finish reason of an answer that the content filter cut or blocked.</summary>
    public const string ContentFilter = "content_filter";

    // The finish reasons the protocol defines, so that the usual ones cost no string.
    private static readonly string[] KnownFinishReasons = ["stop", "length", ContentFilter, "tool_calls", "function_call"];

    /// <summary>The smallest chat request that reaches the deployment: one user message <paramref name="prompt"/> (UTF-8)
    /// and <c>max_tokens: 1</c>. What a health probe sends to learn whether the deployment exists.</summary>
    public static byte[] WriteCheckRequest(string deployment, ReadOnlySpan<byte> prompt)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray(MessagesName);
            json.WriteStartObject();
            json.WriteString(RoleName, UserRole);
            json.WriteString(ContentName, prompt);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString(ModelName, deployment);
            json.WriteNumber("max_tokens"u8, 1);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The request body of a chat completion on <paramref name="deployment"/>, streamed or not.</summary>
    public static byte[] WriteRequest(IReadOnlyList<ChatMessage> messages, string deployment, bool stream)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var buffer = new ArrayBufferWriter<byte>(256 + messages.Sum(m => m.Content.Length * 2));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray(MessagesName);
            foreach (var message in messages)
            {
                json.WriteStartObject();
                json.WriteString(RoleName, message.Role switch
                {
                    ChatRole.System => SystemRole,
                    ChatRole.User => UserRole,
                    ChatRole.Assistant => AssistantRole,
                    _ => throw new ArgumentOutOfRangeException(nameof(messages), message.Role, "Unknown chat role."),
                });
                json.WriteString(ContentName, message.Content);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString(ModelName, deployment);
            if (stream)
            {
                json.WriteBoolean(StreamName, true);
                json.WriteStartObject(StreamOptionsName);
                json.WriteBoolean(IncludeUsageName, true);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The chunks of an event stream, in order, up to and including the <c>[DONE]</c> sentinel. A chunk that
    /// is not JSON throws a <see cref="JsonException"/>; an <c>error</c> object in the stream throws an
    /// <see cref="UpstreamException"/>.</summary>
    public static IAsyncEnumerable<SseItem<ChatCompletionChunk>> ReadChunks(Stream stream, CancellationToken cancellationToken) =>
        SseParser.Create(stream, static (_, data) => ParseChunk(data)).EnumerateAsync(cancellationToken);

    /// <summary>Parses the data of one event of a stream.</summary>
    public static ChatCompletionChunk ParseChunk(ReadOnlySpan<byte> data)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            return new ChatCompletionChunk(null, null, null, null, IsEnd: true);
        }

        var (content, _, finishReason, model, usage) = Parse(data, "delta"u8, copyText: true, knownModel: null);
        return new ChatCompletionChunk(content, finishReason, model, usage, IsEnd: false);
    }

    /// <summary>Parses the data of one event of a relayed stream as <see cref="ParseChunk"/> does, without copying its
    /// text (the event is relayed as it came): <see cref="ChatCompletionChunk.Content"/> stays null and
    /// <c>HasText</c> tells whether the first choice carried any; a <c>model</c> equal to <paramref name="knownModel"/>
    /// is that same string.</summary>
    public static (ChatCompletionChunk Chunk, bool HasText) ParseRelayedChunk(ReadOnlySpan<byte> data, string? knownModel)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            return (new ChatCompletionChunk(null, null, null, null, IsEnd: true), false);
        }

        var (_, hasText, finishReason, model, usage) = Parse(data, "delta"u8, copyText: false, knownModel);
        return (new ChatCompletionChunk(null, finishReason, model, usage, IsEnd: false), hasText);
    }

    /// <summary>Parses a whole answer (a <c>chat.completion</c>). Its text is empty when its first choice has none.</summary>
    public static ChatCompletionAnswer ParseAnswer(ReadOnlySpan<byte> json)
    {
        var (content, _, finishReason, model, usage) = Parse(json, "message"u8, copyText: true, knownModel: null);
        return new ChatCompletionAnswer(content ?? string.Empty, finishReason, model, usage);
    }

    /// <summary>Reads a completion or a chunk: <paramref name="messageName"/> is the name of the object that carries a
    /// choice's text (<c>message</c> or <c>delta</c>); the text is copied only with <paramref name="copyText"/>.</summary>
    private static (string? Content, bool HasText, string? FinishReason, string? Model, TokenUsage? Usage) Parse(ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> messageName, bool copyText, string? knownModel)
    {
        var reader = new Utf8JsonReader(data);
        Expect(ref reader, JsonTokenType.StartObject);
        string? content = null, finishReason = null, model = null;
        var hasText = false;
        TokenUsage? usage = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                if (ValueIs(ref reader, JsonTokenType.StartArray))
                {
                    ReadChoices(ref reader, messageName, copyText, ref content, ref hasText, ref finishReason);
                }
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                if (ValueIs(ref reader, JsonTokenType.String) && !reader.ValueSpan.IsEmpty)
                {
                    model = knownModel is not null && reader.ValueTextEquals(knownModel) ? knownModel : reader.GetString();
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                if (ValueIs(ref reader, JsonTokenType.StartObject))
                {
                    usage = ReadUsage(ref reader);
                }
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                throw StreamedError(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        if (reader.Read())
        {
            throw new JsonException("A chat completion has something after its object.");
        }

        return (content, hasText, finishReason, model, usage);
    }

    /// <summary>Reads <c>choices</c> (the reader on its start); keeps the text and finish reason of choice 0.</summary>
    private static void ReadChoices(ref Utf8JsonReader reader, ReadOnlySpan<byte> messageName, bool copyText, ref string? content,
        ref bool hasText, ref string? finishReason)
    {
        var gotContent = false;
        while (Next(ref reader) == JsonTokenType.StartObject)
        {
            var index = 0;
            string? choiceContent = null, choiceFinish = null;
            bool choiceHasText = false, choiceIsString = false;
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    if (ValueIs(ref reader, JsonTokenType.Number))
                    {
                        index = reader.GetInt32();
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    if (ValueIs(ref reader, JsonTokenType.String))
                    {
                        choiceFinish = FinishReason(ref reader);
                    }
                }
                else if (reader.ValueTextEquals(messageName))
                {
                    if (ValueIs(ref reader, JsonTokenType.StartObject))
                    {
                        choiceContent = ReadContent(ref reader, copyText, out choiceIsString, out choiceHasText);
                    }
                }
                else
                {
                    SkipValue(ref reader);
                }
            }

            if (index == 0)
            {
                // The first choice 0 with a string content gives the text.
                if (!gotContent && choiceIsString)
                {
                    gotContent = true;
                    content = choiceContent;
                    hasText = choiceHasText;
                }

                finishReason ??= choiceFinish;
            }
        }
    }

    /// <summary>Reads a <c>message</c> or <c>delta</c> object (the reader on its start); returns its <c>content</c>
    /// (only with <paramref name="copy"/>) and whether that is a non-empty string.</summary>
    private static string? ReadContent(ref Utf8JsonReader reader, bool copy, out bool isString, out bool hasText)
    {
        string? content = null;
        isString = false;
        hasText = false;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                if (ValueIs(ref reader, JsonTokenType.String))
                {
                    isString = true;
                    hasText = reader.HasValueSequence ? reader.ValueSequence.Length > 0 : reader.ValueSpan.Length > 0;
                    content = copy ? reader.GetString() : null;
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return content;
    }

    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        int prompt = 0, completion = 0;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                if (ValueIs(ref reader, JsonTokenType.Number))
                {
                    prompt = Math.Max(0, reader.GetInt32());
                }
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                if (ValueIs(ref reader, JsonTokenType.Number))
                {
                    completion = Math.Max(0, reader.GetInt32());
                }
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new TokenUsage(prompt, completion);
    }

    private static string FinishReason(ref Utf8JsonReader reader)
    {
        foreach (var known in KnownFinishReasons)
        {
            if (reader.ValueTextEquals(known))
            {
                return known;
            }
        }

        return reader.GetString()!.ToLowerInvariant();
    }

    /// <summary>An <c>error</c> object sent in place of an answer or a chunk: the model service gave up.</summary>
    private static UpstreamException StreamedError(ref Utf8JsonReader reader)
    {
        string? code = null;
        if (ValueIs(ref reader, JsonTokenType.StartObject))
        {
            while (Next(ref reader) == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("code"u8))
                {
                    if (ValueIs(ref reader, JsonTokenType.String))
                    {
                        code = reader.GetString();
                    }
                }
                else
                {
                    SkipValue(ref reader);
                }
            }
        }

        var suffix = Upstream.UpstreamStatusMap.IsPlainCode(code) ? $" (code: {code})" : string.Empty;
        return new UpstreamException(UpstreamFailure.Unavailable, $"Azure OpenAI reported an error in its answer{suffix}.",
            upstreamStatus: 200);
    }

    /// <summary>Moves to the value of the property the reader is on; true when it is of <paramref name="type"/> (the
    /// reader then on it), otherwise skips the whole value and returns false.</summary>
    private static bool ValueIs(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) == type)
        {
            return true;
        }

        reader.Skip();
        return false;
    }

    /// <summary>Skips the value of the property the reader is on, whatever its shape.</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        Next(ref reader);
        reader.Skip();
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new JsonException($"Expected {type} in a chat completion, found {reader.TokenType}.");
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("The chat completion ended early.");
}
