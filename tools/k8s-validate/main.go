// Command k8s-validate decodes Kubernetes objects the way the API server does, strictly: an
// unknown field, a duplicate field, a value of the wrong JSON type or a malformed quantity is an
// error. It is the second half of the infra schema check (infra/src/validate.ts): the
// kubernetes-models validators catch missing required fields but let unknown fields through.
//
// Input (stdin): a JSON array of Kubernetes objects, each with apiVersion and kind.
// Output (stdout): a JSON array with one entry per input object, in order:
//
//	{"index": 0, "apiVersion": "apps/v1", "kind": "StatefulSet", "name": "nsqd",
//	 "status": "valid" | "invalid" | "unknown kind", "errors": ["..."]}
//
// "unknown kind" means the group/version/kind is not in this tool's scheme (custom resources such
// as cert-manager's Certificate): only their metadata is decoded strictly (into ObjectMeta, so its
// errors still appear); the caller validates the rest another way or lists the object.
//
// A fatal decode error (a value of the wrong type, a malformed quantity) stops the decoder, so
// unknown fields after it are reported only once it is fixed: errors come one layer at a time.
// Exit status: 0 whenever the input was a JSON array (even if objects are invalid); 2 on bad
// input or usage. Usage: k8s-validate < objects.json   (k8s-validate --kinds lists the scheme).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	kjson "sigs.k8s.io/json"
)

// Result is the verdict on one input object.
type Result struct {
	Index      int      `json:"index"`
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	Errors     []string `json:"errors"`
}

const (
	statusValid   = "valid"
	statusInvalid = "invalid"
	statusUnknown = "unknown kind"
)

// newScheme registers the built-in API groups a platform like ours declares. Kinds outside it
// come back as "unknown kind", never as valid.
func newScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	adders := []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		batchv1.AddToScheme,
		networkingv1.AddToScheme,
		policyv1.AddToScheme,
		autoscalingv1.AddToScheme,
		autoscalingv2.AddToScheme,
		rbacv1.AddToScheme,
		schedulingv1.AddToScheme,
		nodev1.AddToScheme,
		storagev1.AddToScheme,
		discoveryv1.AddToScheme,
		coordinationv1.AddToScheme,
		admissionregistrationv1.AddToScheme,
	}
	for _, add := range adders {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	return scheme, nil
}

// header is the part of an object read before decoding, to name it in the result.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

// validate decodes one object strictly and returns its verdict.
func validate(index int, raw json.RawMessage, scheme *runtime.Scheme, decoder runtime.Decoder) Result {
	result := Result{Index: index, Errors: []string{}}
	var head header
	if err := json.Unmarshal(raw, &head); err != nil {
		// Not an object, or apiVersion/kind/name of the wrong type.
		result.Status = statusInvalid
		result.Errors = append(result.Errors, fmt.Sprintf("not a Kubernetes object: %v", err))
		return result
	}
	result.APIVersion, result.Kind, result.Name = head.APIVersion, head.Kind, head.Metadata.Name
	if head.APIVersion == "" || head.Kind == "" {
		result.Status = statusInvalid
		result.Errors = append(result.Errors, "apiVersion and kind are required")
		return result
	}
	gvk := schema.FromAPIVersionAndKind(head.APIVersion, head.Kind)
	if !scheme.Recognizes(gvk) {
		result.Status = statusUnknown
		result.Errors = append(result.Errors, validateMetadata(raw)...)
		return result
	}
	_, _, err := decoder.Decode(raw, nil, nil)
	if err == nil {
		result.Status = statusValid
		return result
	}
	result.Status = statusInvalid
	if strict, ok := runtime.AsStrictDecodingError(err); ok {
		// One entry per unknown or duplicate field, e.g. `unknown field "spec.replicass"`.
		for _, fieldErr := range strict.Errors() {
			result.Errors = append(result.Errors, fieldErr.Error())
		}
	} else {
		result.Errors = append(result.Errors, err.Error())
	}
	return result
}

// validateMetadata decodes the metadata of an object of unknown kind strictly into ObjectMeta, the
// type every Kubernetes object (custom resources too) shares, with the decoder options the API
// machinery's strict JSON serializer uses.
func validateMetadata(raw json.RawMessage) []string {
	var top struct {
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &top); err != nil || len(top.Metadata) == 0 {
		return nil
	}
	var meta metav1.ObjectMeta
	strictErrs, err := kjson.UnmarshalStrict(top.Metadata, &meta, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return []string{fmt.Sprintf("metadata: %v", err)}
	}
	messages := []string{}
	for _, strictErr := range strictErrs {
		if fieldErr, ok := strictErr.(kjson.FieldError); ok {
			fieldErr.SetFieldPath("metadata." + fieldErr.FieldPath())
		}
		messages = append(messages, strictErr.Error())
	}
	return messages
}

func listKinds(scheme *runtime.Scheme) []string {
	kinds := []string{}
	for gvk := range scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") || strings.HasSuffix(gvk.Kind, "Options") {
			continue
		}
		kinds = append(kinds, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	sort.Strings(kinds)
	return kinds
}

func run(stdin io.Reader, stdout io.Writer, args []string) error {
	scheme, err := newScheme()
	if err != nil {
		return fmt.Errorf("building the scheme: %w", err)
	}
	if len(args) == 1 && args[0] == "--kinds" {
		_, err := fmt.Fprintln(stdout, strings.Join(listKinds(scheme), "\n"))
		return err
	}
	if len(args) > 0 {
		return fmt.Errorf("usage: k8s-validate < objects.json (a JSON array), or k8s-validate --kinds")
	}
	input, err := io.ReadAll(stdin)
	if err != nil {
		return fmt.Errorf("reading stdin: %w", err)
	}
	var objects []json.RawMessage
	if err := json.Unmarshal(input, &objects); err != nil {
		return fmt.Errorf("stdin is not a JSON array of objects: %w", err)
	}
	// EnableStrict: unknown and duplicate fields fail the decode, as `kubectl apply --validate=strict`.
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	results := make([]Result, 0, len(objects))
	for i, raw := range objects {
		results = append(results, validate(i, raw, scheme, decoder))
	}
	encoder := json.NewEncoder(stdout)
	encoder.SetIndent("", "  ")
	return encoder.Encode(results)
}

func main() {
	if err := run(os.Stdin, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "k8s-validate: %v\n", err)
		os.Exit(2)
	}
}
