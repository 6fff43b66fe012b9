using System.Text.Json;
using System.Text.Json.Nodes;

namespace Wrapper.Application.OpenAICompatible;

/// <summary>
/// What the service itself must read in a relayed body, checked before anything is counted or sent: <c>messages</c> (a
/// non-empty array of objects, each with a string <c>role</c>), and, when present, <c>model</c> (a string), <c>stream</c>
/// (a boolean), <c>stream_options</c> (an object), <c>max_tokens</c>, <c>max_completion_tokens</c> and <c>n</c> (positive
/// integers), which the quota reservation reads. Everything else is the model service's to judge: it is passed through
/// and the upstream's own 400 comes back.
/// </summary>
public sealed class ChatCompletionRelayRules : AbstractValidator<ChatCompletionRelay>
{
    public ChatCompletionRelayRules()
    {
        RuleFor(r => r.Body).Custom((body, context) =>
        {
            switch (body["messages"])
            {
                case null:
                    context.AddFailure("messages", "Missing required parameter: 'messages'.");
                    break;
                case JsonArray { Count: 0 }:
                    context.AddFailure("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1.");
                    break;
                case JsonArray messages:
                    for (var i = 0; i < messages.Count; i++)
                    {
                        if (messages[i] is not JsonObject message)
                        {
                            context.AddFailure($"messages[{i}]", $"Invalid type for 'messages[{i}]': expected an object.");
                        }
                        else if (message["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String)
                        {
                            context.AddFailure($"messages[{i}].role", $"Missing required parameter: 'messages[{i}].role' (a string).");
                        }
                    }

                    break;
                default:
                    context.AddFailure("messages", "Invalid type for 'messages': expected an array of objects.");
                    break;
            }

            Expect(body, "model", JsonValueKind.String, "a string", context);
            Expect(body, "stream_options", JsonValueKind.Object, "an object", context);
            if (body["stream"] is { } stream && stream.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                context.AddFailure("stream", "Invalid type for 'stream': expected a boolean.");
            }

            foreach (var name in (string[])["max_tokens", "max_completion_tokens", "n"])
            {
                if (body[name] is { } value
                    && (value.GetValueKind() != JsonValueKind.Number || !value.AsValue().TryGetValue<long>(out var number) || number < 1))
                {
                    context.AddFailure(name, $"Invalid '{name}': expected an integer >= 1.");
                }
            }
        });
    }

    private static void Expect(JsonObject body, string name, JsonValueKind kind, string description,
        FluentValidation.ValidationContext<ChatCompletionRelay> context)
    {
        if (body[name] is { } value && value.GetValueKind() != kind)
        {
            context.AddFailure(name, $"Invalid type for '{name}': expected {description}.");
        }
    }
}

public sealed class RelayChatCompletionValidator : AbstractValidator<RelayChatCompletion>
{
    public RelayChatCompletionValidator() => Include(new ChatCompletionRelayRules());
}

public sealed class StreamRelayedChatCompletionValidator : AbstractValidator<StreamRelayedChatCompletion>
{
    public StreamRelayedChatCompletionValidator() => Include(new ChatCompletionRelayRules());
}
